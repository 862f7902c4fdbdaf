-- Drives Neovim with EditorConfigs/neovim/dlsp.lua (loaded with -u, exactly as shipped): the FileType autocommand
-- starts dlsp, then this script asks for a completion and applies the offered item with Neovim's own edit code,
-- and writes what happened as JSON for the Swift test to check.
-- Environment: DLSP_FILE (file to open), DLSP_POSITIONS ("line:character;..." 0-based, tried in order until
-- dlsp offers an item), DLSP_RESULT (where the JSON goes), DLSP_TIMEOUT_MS.
local timeout = tonumber(os.getenv("DLSP_TIMEOUT_MS") or "120000")
local result = { steps = {} }
local function finish()
  local f = assert(io.open(os.getenv("DLSP_RESULT"), "w"))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qa!")
end
local function buffer_text()
  return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n") .. "\n"
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("DLSP_FILE")))
  local client
  assert(vim.wait(20000, function()
    client = vim.lsp.buf_get_clients(0)[1] or (vim.lsp.get_active_clients()[1])
    return client ~= nil and client.initialized == true
  end, 20), "the configuration did not start dlsp for " .. vim.bo.filetype .. " files")
  result.client = client.name
  result.original = buffer_text()

  for position in string.gmatch(os.getenv("DLSP_POSITIONS"), "[^;]+") do
    local line, character = position:match("(%d+):(%d+)")
    line, character = tonumber(line), tonumber(character)
    -- The cursor as insert mode has it (normal mode cannot sit after a line's last character); the fixture is
    -- ASCII, so the column is the same in bytes, UTF-16 and UTF-8.
    local params = { textDocument = { uri = vim.uri_from_bufnr(0) }, position = { line = line, character = character } }
    local responses = vim.lsp.buf_request_sync(0, "textDocument/completion", params, timeout)
    local response = responses and responses[client.id]
    local step = { line = line, character = character }
    table.insert(result.steps, step)
    if not response then
      step.error = "no answer within " .. timeout .. " ms"
    elseif response.err then
      step.error = vim.inspect(response.err)
    else
      local items = response.result and (response.result.items or response.result) or {}
      step.count = #items
      local item = items[1]
      if item then
        step.item = item
        -- What the omni menu would insert for this item (the word Neovim derives from it).
        local line_text = vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]:sub(1, character)
        local prefix = vim.fn.matchstr(line_text, "\\k*$")
        local words = vim.lsp.util.text_document_completion_list_to_complete_items(response.result, prefix)
        step.omnifuncWord = words[1] and words[1].word or vim.NIL
        step.omnifuncPrefix = prefix
        -- Apply the item's edit as completion plugins and Neovim's built-in completion do.
        local edit = item.textEdit
        if edit and not edit.range then edit = { range = edit.insert, newText = edit.newText } end
        vim.lsp.util.apply_text_edits({ edit }, 0, client.offset_encoding)
        result.completion = step
        result.afterCompletion = buffer_text()
        break
      end
    end
  end

  -- A code action: the quick fix on the unused import, chosen the way a user picks from the menu
  -- (vim.ui.select is the hook pickers such as telescope replace), applied by Neovim (resolving it first).
  local before_action = buffer_text()
  vim.api.nvim_win_set_cursor(0, { tonumber(os.getenv("DLSP_ACTION_LINE")) + 1, 0 })
  local offered = {}
  vim.ui.select = function(items, opts, on_choice)
    for _, tuple in ipairs(items) do
      local title = opts.format_item and opts.format_item(tuple) or tuple[2].title
      table.insert(offered, title)
    end
    for _, tuple in ipairs(items) do
      if tuple[2].title == os.getenv("DLSP_ACTION_TITLE") then return on_choice(tuple) end
    end
    on_choice(nil)
  end
  vim.lsp.buf.code_action()
  vim.wait(timeout, function() return buffer_text() ~= before_action end, 50)
  result.actionsOffered = offered
  result.afterAction = buffer_text()

  -- Rename: the symbol under the cursor, new name given as :lua vim.lsp.buf.rename("side") does.
  local before_rename = buffer_text()
  local rename_line, rename_character = os.getenv("DLSP_RENAME_AT"):match("(%d+):(%d+)")
  vim.api.nvim_win_set_cursor(0, { tonumber(rename_line) + 1, tonumber(rename_character) })
  vim.lsp.buf.rename(os.getenv("DLSP_RENAME_TO"))
  vim.wait(timeout, function() return buffer_text() ~= before_rename end, 50)
  result.afterRename = buffer_text()
  result.status = "ok"
end)
if not ok then
  result.status = "error"
  result.error = tostring(err)
end
finish()
