-- dlsp as a custom server of nvim-lspconfig (which has no built-in entry for it).
-- Use: require it from init.lua after nvim-lspconfig is installed. NOT exercised by the test suite (nvim-lspconfig is
-- not packaged in Debian 12).

local configs = require("lspconfig.configs")
local util = require("lspconfig.util")

if not configs.dlsp then
  configs.dlsp = {
    default_config = {
      cmd = { os.getenv("DLSP_BIN") or "dlsp" },
      filetypes = { "python", "swift", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "ruby", "sh" },
      root_dir = function(fname)
        return util.find_git_ancestor(fname) or vim.fs.dirname(fname)
      end,
      single_file_support = true,
      init_options = {
        model = { threads = 2 },
        completion = { enabled = true, steps = 32 },
        inlineCompletion = { enabled = true, count = 2 },
      },
    },
    docs = { description = "dlsp: code completion from a diffusion language model" },
  }
end

-- With nvim-cmp, pass cmp-nvim-lsp's capabilities so completion items are requested with what cmp supports.
local ok, cmp_lsp = pcall(require, "cmp_nvim_lsp")
require("lspconfig").dlsp.setup({
  capabilities = ok and cmp_lsp.default_capabilities() or nil,
})
