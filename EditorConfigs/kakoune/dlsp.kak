# dlsp for Kakoune through kakoune-lsp 18 and later (servers are configured in kakrc): source this file from
# your kakrc after kakoune-lsp's own setup (`eval %sh{kak-lsp}` and `lsp-enable`).
# dlsp is added to the servers kakoune-lsp already has for each filetype. `dlsp` must be on PATH.

hook -group dlsp global BufSetOption filetype=(python|c|cpp|javascript|typescript|rust|go|swift|java|ruby|sh) %{
    set-option -add buffer lsp_servers %{
        [dlsp]
        root_globs = [".git"]
        command = "dlsp"
        # Sent as initializationOptions (README.md, "Settings", lists every key).
        settings_section = "_"
        [dlsp.settings._]
        model.threads = 2
        completion.enabled = true
        completion.steps = 32
        inlineCompletion.enabled = false
    }
}
