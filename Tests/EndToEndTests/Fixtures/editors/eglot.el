;;; Drives Emacs + Eglot with EditorConfigs/emacs/dlsp-eglot.el (loaded before this file, exactly as shipped):
;;; opening the file runs the mode hook the configuration installs, which starts dlsp; then a completion is
;;; asked for with `completion-at-point' and the result written as JSON for the Swift test.
;;; Environment: DLSP_FILE, DLSP_POSITIONS ("line:character;..." 0-based), DLSP_RESULT.
(require 'json)
(require 'cl-lib)
;; This machine may be slow: one model run can take longer than jsonrpc's default 10 s.
(setq jsonrpc-default-request-timeout 120)
(defvar dlsp-test-result (list (cons 'steps [])))
(defun dlsp-test-put (key value) (setf (alist-get key dlsp-test-result) value))
(defun dlsp-test-buffer-text () (buffer-substring-no-properties (point-min) (point-max)))
(defun dlsp-test-finish ()
  (with-temp-file (getenv "DLSP_RESULT")
    (insert (json-encode dlsp-test-result)))
  (kill-emacs 0))
(defun dlsp-test-goto (line character)
  (goto-char (point-min))
  (forward-line line)
  (forward-char character))

(condition-case err
    (progn
      (find-file (getenv "DLSP_FILE"))
      ;; eglot-ensure connects after the next command; in batch there is none, so run the hook it queued.
      (run-hooks 'post-command-hook)
      (let ((deadline (+ (float-time) 30)))
        (while (and (not (eglot-current-server)) (< (float-time) deadline))
          (accept-process-output nil 0.1)))
      (let ((server (eglot-current-server)))
        (unless server (error "the configuration did not start dlsp for %s" major-mode))
        (dlsp-test-put 'client (plist-get (eglot--server-info server) :name))
        (dlsp-test-put 'original (dlsp-test-buffer-text))
        (let ((steps '()))
          (catch 'done
            (dolist (position (split-string (getenv "DLSP_POSITIONS") ";"))
              (let* ((parts (mapcar #'string-to-number (split-string position ":")))
                     (step (list (cons 'line (car parts)) (cons 'character (cadr parts)))))
                (dlsp-test-goto (car parts) (cadr parts))
                ;; What dlsp offers here, read on the editor side (Eglot's own request for the same position).
                (let* ((response (jsonrpc-request server :textDocument/completion (eglot--CompletionParams)))
                       (items (append (if (vectorp response) response (plist-get response :items)) nil)))
                  (push (cons 'count (length items)) step)
                  (when items
                    (push (cons 'item (car items)) step)
                    ;; The user's gesture: M-x completion-at-point (M-TAB) with Eglot's capf; one candidate
                    ;; is inserted directly and Eglot's exit function applies the item's textEdit.
                    (completion-at-point)
                    (push (cons 'afterPoint (point)) step)
                    (dlsp-test-put 'completion step)
                    (dlsp-test-put 'afterCompletion (dlsp-test-buffer-text))
                    (push step steps)
                    (throw 'done t)))
                (push step steps))))
          (dlsp-test-put 'steps (vconcat (nreverse steps))))

        ;; A code action: M-x eglot-code-actions on the unused import's line; the user picks the quick fix from
        ;; the completing-read menu Eglot offers (answered here with its title).
        (dlsp-test-goto (string-to-number (getenv "DLSP_ACTION_LINE")) 0)
        (let ((offered '()))
          (cl-letf (((symbol-function 'completing-read)
                     (lambda (_prompt collection &rest _)
                       (setq offered (mapcar (lambda (entry) (if (consp entry) (car entry) entry)) collection))
                       (dlsp-test-put 'actionsOffered (vconcat offered))
                       (getenv "DLSP_ACTION_TITLE"))))
            ;; Invoked from the keyboard (M-x), so Eglot asks with completing-read rather than a mouse menu.
            (let ((last-nonmenu-event ?\r))
              (call-interactively #'eglot-code-actions)))
          (dlsp-test-put 'actionsOffered (vconcat offered)))
        (dlsp-test-put 'afterAction (dlsp-test-buffer-text))
        ;; Eglot sends buffer changes once Emacs is idle (`eglot-send-changes-idle-time'); batch Emacs is never
        ;; idle, so send them as that timer would before the user's next command.
        (eglot--signal-textDocument/didChange)

        ;; Rename: M-x eglot-rename on `width', new name given as the user types it at the prompt.
        (let ((at (mapcar #'string-to-number (split-string (getenv "DLSP_RENAME_AT") ":"))))
          (dlsp-test-goto (car at) (cadr at)))
        (eglot-rename (getenv "DLSP_RENAME_TO"))
        (dlsp-test-put 'afterRename (dlsp-test-buffer-text)))
      (dlsp-test-put 'status "ok"))
  (error (dlsp-test-put 'status "error")
         (dlsp-test-put 'error (format "%S" err))))
(ignore-errors (eglot-shutdown (eglot-current-server)))
(dlsp-test-finish)
