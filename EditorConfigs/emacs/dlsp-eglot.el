;;; dlsp-eglot.el --- dlsp through eglot  -*- lexical-binding: t -*-

;; Eglot is built into Emacs 29 and later; on Emacs 28 install it (Debian: apt install elpa-eglot, or
;; M-x package-install RET eglot). Load this file from your init file:
;;   (load "/path/to/dlsp/EditorConfigs/emacs/dlsp-eglot.el")
;; The binary is $DLSP_BIN when set, else `dlsp' on PATH.
;;
;; What you get: completions through `completion-at-point' (M-TAB, or the popup of company / corfu), code
;; actions (M-x eglot-code-actions) and rename (M-x eglot-rename) when dlsp offers them. Eglot runs one server
;; per buffer: in these modes dlsp replaces the language's usual server (use lsp-mode, see dlsp-lsp-mode.el, to
;; run both side by side).

(require 'eglot)

(defvar dlsp-program (or (getenv "DLSP_BIN") "dlsp")
  "The dlsp executable: a full path, or a name found on PATH.")

(defvar dlsp-modes
  '(python-mode python-ts-mode c-mode c-ts-mode c++-mode c++-ts-mode js-mode js-ts-mode typescript-mode
    typescript-ts-mode rust-mode rust-ts-mode go-mode go-ts-mode java-mode java-ts-mode ruby-mode ruby-ts-mode
    sh-mode bash-ts-mode swift-mode)
  "Major modes whose buffers get dlsp.")

;; Sent as initializationOptions (README.md, "Settings", lists every key). JSON false is
;; :json-false in Eglot.
(defvar dlsp-initialization-options
  '(:model (:threads 2)
    :completion (:enabled t :steps 32)
    :inlineCompletion (:enabled t :count 2)))

(add-to-list 'eglot-server-programs
             `(,dlsp-modes . (,dlsp-program :initializationOptions ,dlsp-initialization-options)))

(dolist (mode dlsp-modes)
  (add-hook (intern (format "%s-hook" mode)) #'eglot-ensure))

(provide 'dlsp-eglot)
;;; dlsp-eglot.el ends here
