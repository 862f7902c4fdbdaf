-- nvim-cmp: dlsp's items arrive through the `nvim_lsp` source (plugin hrsh7th/cmp-nvim-lsp), like any server's.
-- Add this to your nvim-cmp setup; start dlsp with dlsp.lua, dlsp-0.8.lua, dlsp-0.11.lua or lspconfig.lua.
-- NOT exercised by the test suite (nvim-cmp is not packaged in Debian 12).
local cmp = require("cmp")
cmp.setup({
  sources = cmp.config.sources({ { name = "nvim_lsp" } }, { { name = "buffer" } }),
  mapping = cmp.mapping.preset.insert({
    ["<C-Space>"] = cmp.mapping.complete(),
    ["<CR>"] = cmp.mapping.confirm({ select = false }),
  }),
  -- dlsp answers after a model run (tens to hundreds of ms): let cmp wait for it.
  performance = { fetching_timeout = 2000 },
})
