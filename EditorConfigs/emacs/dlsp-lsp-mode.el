;;; dlsp-lsp-mode.el --- dlsp through lsp-mode  -*- lexical-binding: t -*-

;; lsp-mode (Debian: apt install elpa-lsp-mode; or M-x package-install RET lsp-mode). Load this file from your
;; init file:  (load "/path/to/dlsp/EditorConfigs/emacs/dlsp-lsp-mode.el")
;; The binary is $DLSP_BIN when set, else `dlsp' on PATH.
;;
;; dlsp is registered as an add-on server: it runs beside the language's main server, and lsp-mode merges the
;; completions of both (company / corfu popup, or M-TAB). Code actions: M-x lsp-execute-code-action; rename:
;; M-x lsp-rename. Ghost text: lsp-mode 9.0+ has `lsp-inline-completion-mode' for textDocument/inlineCompletion;
;; lsp-mode 8 (Debian 12) has none.
;; NOT exercised by the test suite (the eglot configuration, dlsp-eglot.el, is).

(require 'lsp-mode)

(defvar dlsp-program (or (getenv "DLSP_BIN") "dlsp")
  "The dlsp executable: a full path, or a name found on PATH.")

;; Sent as initializationOptions (README.md, "Settings", lists every key).
(defvar dlsp-initialization-options
  '(:model (:threads 2)
    :completion (:enabled t :steps 32)
    :inlineCompletion (:enabled t :count 2)))

(lsp-register-client
 (make-lsp-client
  :new-connection (lsp-stdio-connection (lambda () (list dlsp-program)))
  :activation-fn (lsp-activate-on "python" "c" "cpp" "javascript" "typescript" "rust" "go" "swift" "java"
                                  "ruby" "shellscript")
  :server-id 'dlsp
  :add-on? t
  :priority -2
  :initialization-options (lambda () dlsp-initialization-options)))

(dolist (hook '(python-mode-hook c-mode-hook c++-mode-hook js-mode-hook typescript-mode-hook rust-mode-hook
                go-mode-hook swift-mode-hook java-mode-hook ruby-mode-hook sh-mode-hook))
  (add-hook hook #'lsp-deferred))

(provide 'dlsp-lsp-mode)
;;; dlsp-lsp-mode.el ends here
