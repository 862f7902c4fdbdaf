-- dlsp for Neovim 0.8 to 0.10 with vim.lsp.start (one client per root, reused automatically), no plugins.
-- Use: dofile("/path/to/dlsp/EditorConfigs/neovim/dlsp-0.8.lua") from init.lua. On 0.11+ prefer dlsp-0.11.lua.
-- NOT exercised by the test suite (Debian 12 ships Neovim 0.7.2); dlsp.lua, which is, works on 0.8+ as well.

local init_options = {
  model = { threads = 2 },
  completion = { enabled = true, steps = 32 },
  inlineCompletion = { enabled = true, count = 2 },
}

vim.api.nvim_create_autocmd("FileType", {
  group = vim.api.nvim_create_augroup("dlsp", { clear = true }),
  pattern = { "python", "swift", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "ruby", "sh" },
  callback = function(args)
    if vim.api.nvim_buf_get_name(args.buf) == "" then return end
    vim.lsp.start({
      name = "dlsp",
      cmd = { os.getenv("DLSP_BIN") or "dlsp" },
      root_dir = vim.fs.dirname(vim.fs.find({ ".git" }, { upward = true, path = vim.fs.dirname(args.file) })[1])
        or vim.fs.dirname(args.file),
      init_options = init_options,
    })
  end,
})

-- Omni completion and the usual keys, for every LSP client (dlsp included).
vim.api.nvim_create_autocmd("LspAttach", {
  group = vim.api.nvim_create_augroup("dlsp-keys", { clear = true }),
  callback = function(args)
    vim.bo[args.buf].omnifunc = "v:lua.vim.lsp.omnifunc"
    vim.keymap.set("n", "<leader>ca", vim.lsp.buf.code_action, { buffer = args.buf })
    vim.keymap.set("n", "<leader>rn", vim.lsp.buf.rename, { buffer = args.buf })
  end,
})
