-- Neovim (0.7+) as a real LSP client of dlsp: it attaches, edits with multi-byte text, asks for a completion,
-- and then compares the text the server holds (dlsp/documentState) with its own buffer.
-- Environment: DLSP_BIN, DLSP_FILE (file to open), DLSP_RESULT (where to write the verdict), DLSP_LOG.
local result_path = os.getenv("DLSP_RESULT")
local function finish(verdict)
  local f = assert(io.open(result_path, "w"))
  f:write(verdict)
  f:close()
  vim.cmd("qa!")
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("DLSP_FILE")))
  local client_id = vim.lsp.start_client({
    name = "dlsp",
    cmd = { os.getenv("DLSP_BIN"), "--log-file", os.getenv("DLSP_LOG") },
    root_dir = vim.fn.fnamemodify(os.getenv("DLSP_FILE"), ":h"),
    flags = { debounce_text_changes = 0 },
  })
  assert(client_id, "dlsp did not start")
  vim.lsp.buf_attach_client(0, client_id)
  assert(vim.wait(60000, function()
    local client = vim.lsp.get_client_by_id(client_id)
    return client ~= nil and client.initialized
  end, 20), "dlsp did not initialize")

  -- Edits a user makes: typing inside a line, replacing a line, inserting lines with astral characters,
  -- and deleting a line.
  vim.api.nvim_buf_set_text(0, 0, 4, 0, 9, { "salute" })
  vim.api.nvim_buf_set_lines(0, 1, 2, false, { '    message = "héllo 😀, " + name  # 漢字' })
  vim.api.nvim_buf_set_lines(0, 3, 3, false, { "", "# 👩‍👩‍👧 family", "" })
  vim.api.nvim_buf_set_text(0, 2, 4, 2, 10, { "yield", "    return" })
  vim.api.nvim_buf_set_lines(0, 6, 7, false, {})
  vim.wait(200)

  local params = vim.lsp.util.make_position_params()
  local completion = vim.lsp.buf_request_sync(0, "textDocument/completion", params, 60000)
  assert(completion and completion[client_id], "no completion answer")
  assert(completion[client_id].error == nil, "completion failed: " .. vim.inspect(completion[client_id].error))

  local state = vim.lsp.buf_request_sync(0, "dlsp/documentState",
    { textDocument = { uri = vim.uri_from_bufnr(0) } }, 60000)
  assert(state and state[client_id] and state[client_id].result, "no documentState answer")
  local server_text = state[client_id].result.text
  local buffer_text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n"
  if server_text ~= buffer_text then
    finish("MISMATCH\n--- server\n" .. server_text .. "\n--- buffer\n" .. buffer_text)
    return
  end
  vim.lsp.stop_client(client_id)
  finish("OK version=" .. tostring(state[client_id].result.version) .. "\n" .. buffer_text)
end)
if not ok then finish("ERROR " .. tostring(err)) end
