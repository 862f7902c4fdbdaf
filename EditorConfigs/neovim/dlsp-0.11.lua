-- dlsp for Neovim 0.11+ with vim.lsp.config / vim.lsp.enable, no plugins.
-- Use: dofile("/path/to/dlsp/EditorConfigs/neovim/dlsp-0.11.lua") from init.lua, or copy the table below to
-- ~/.config/nvim/lsp/dlsp.lua (then only `vim.lsp.enable("dlsp")` is needed).
-- NOT exercised by the test suite (Debian 12 ships Neovim 0.7.2).

vim.lsp.config("dlsp", {
  cmd = { os.getenv("DLSP_BIN") or "dlsp" },
  filetypes = { "python", "swift", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "ruby", "sh" },
  root_markers = { ".git" },
  init_options = {
    model = { threads = 2 },
    completion = { enabled = true, steps = 32 },
    inlineCompletion = { enabled = true, count = 2 },
  },
})
vim.lsp.enable("dlsp")

vim.api.nvim_create_autocmd("LspAttach", {
  group = vim.api.nvim_create_augroup("dlsp-keys", { clear = true }),
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= "dlsp" then return end
    -- Built-in completion popup (0.11+): as you type after trigger characters, or <C-x><C-o>.
    vim.lsp.completion.enable(true, client.id, args.buf, { autotrigger = true })
    -- Ghost text (0.12+): dlsp's textDocument/inlineCompletion; <Tab> accepts, <M-]> shows the next one.
    if vim.lsp.inline_completion then
      vim.lsp.inline_completion.enable(true, { bufnr = args.buf })
      vim.keymap.set("i", "<Tab>", function()
        if not vim.lsp.inline_completion.get() then return "<Tab>" end
      end, { expr = true, buffer = args.buf, desc = "accept dlsp ghost text" })
      vim.keymap.set("i", "<M-]>", function() vim.lsp.inline_completion.select({ count = 1 }) end,
        { buffer = args.buf, desc = "next dlsp ghost text" })
    end
    -- Code actions (grn / gra are Neovim 0.11's defaults for rename and code actions).
  end,
})
