-- dlsp for Neovim 0.7 and later, no plugins needed.
--
-- Use: dofile("/path/to/dlsp/EditorConfigs/neovim/dlsp.lua") from your init.lua, or copy this file to
-- ~/.config/nvim/plugin/dlsp.lua. The binary is $DLSP_BIN when set, else `dlsp` on PATH.
--
-- What you get: completions in the omni menu (<C-x><C-o>, or automatically with nvim-cmp, see README.md),
-- code actions (<leader>ca) and rename (<leader>rn) when the server offers them.

local cmd = { os.getenv("DLSP_BIN") or "dlsp" }

-- Filetypes dlsp completes (it has grammars for these; other files get plain-text context, which also works).
local filetypes = { "python", "swift", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "ruby", "sh" }

-- Sent as initializationOptions; every key is optional (README.md, "Settings", lists every key).
local init_options = {
  model = { threads = 2 },                          -- OpenBLAS threads; the editor shares the machine
  completion = { enabled = true, steps = 32 },      -- denoising steps at most per completion
  inlineCompletion = { enabled = true, count = 2 }, -- ghost text (Neovim 0.12+, see README.md)
}

-- The project root: the nearest folder holding .git, else the file's own folder.
local function root_dir(bufnr)
  local folder = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":p:h")
  local git = vim.fn.finddir(".git", folder .. ";")
  if git == "" then git = vim.fn.findfile(".git", folder .. ";") end
  if git ~= "" then return vim.fn.fnamemodify(git, ":p:h:h") end
  return folder
end

local function on_attach(_, bufnr)
  -- The omni menu asks dlsp; nvim-cmp users get the same items through cmp-nvim-lsp instead.
  vim.api.nvim_buf_set_option(bufnr, "omnifunc", "v:lua.vim.lsp.omnifunc")
  local opts = { buffer = bufnr, silent = true }
  vim.keymap.set("n", "<leader>ca", vim.lsp.buf.code_action, opts)
  vim.keymap.set("n", "<leader>rn", vim.lsp.buf.rename, opts)
end

-- One server per project root, shared by every buffer of that project.
local clients = {}
vim.api.nvim_create_autocmd("FileType", {
  group = vim.api.nvim_create_augroup("dlsp", { clear = true }),
  pattern = filetypes,
  callback = function(args)
    if vim.api.nvim_buf_get_name(args.buf) == "" then return end
    local root = root_dir(args.buf)
    local id = clients[root]
    local client = id and vim.lsp.get_client_by_id(id)
    if not client or client.is_stopped() then
      id = vim.lsp.start_client({
        name = "dlsp",
        cmd = cmd,
        root_dir = root,
        init_options = init_options,
        on_attach = on_attach,
      })
      clients[root] = id
    end
    if id then vim.lsp.buf_attach_client(args.buf, id) end
  end,
})
