-- Runs after the configuration under test (a snippet from docs/neovim.md) has been loaded.
-- Opens LITERT_E2E_FILE, waits for the server's diagnostics, asks for code actions on the
-- first one, and writes what it saw as JSON to LITERT_E2E_OUT. Works on Neovim 0.7 and 0.11.
local file = os.getenv('LITERT_E2E_FILE')
local out = os.getenv('LITERT_E2E_OUT')
local timeout = tonumber(os.getenv('LITERT_E2E_TIMEOUT') or '30000')
local encode = (vim.json and vim.json.encode) or vim.fn.json_encode
local v = vim.version()
local result = { nvim = { v.major, v.minor, v.patch }, clients = {}, diagnostics = {}, actions = {}, errors = {} }

local function finish(ok)
  local handle = assert(io.open(out, 'w'))
  handle:write(encode(result))
  handle:close()
  vim.cmd(ok and 'qa!' or 'cq')
end

local function clients(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf })
  end
  return vim.lsp.buf_get_clients(buf)
end

-- Optionally, after the code actions: save the file and watch the global variable
-- LITERT_E2E_WATCH (a statusline value a docs snippet sets) until it matches LITERT_E2E_UNTIL.
local watch = os.getenv('LITERT_E2E_WATCH')
local watch_until = os.getenv('LITERT_E2E_UNTIL')

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype
  local seen = vim.wait(timeout, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  for _, client in pairs(clients(buf)) do
    table.insert(result.clients, client.name)
  end
  if not seen then
    table.insert(result.errors, 'no diagnostics within ' .. timeout .. ' ms')
    return
  end
  local lsp_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = (d.user_data and d.user_data.lsp) or {}
    local item = {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
      code = d.code or lsp.code,
    }
    table.insert(result.diagnostics, item)
    table.insert(lsp_diagnostics, {
      range = {
        start = { line = d.lnum, character = d.col },
        ['end'] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
      },
      severity = d.severity, message = d.message, source = d.source, code = item.code, data = lsp.data,
    })
  end
  local first = lsp_diagnostics[1]
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = first.range,
    context = { diagnostics = { first } },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, timeout) or {}
  for _, response in pairs(responses) do
    if response.error then
      table.insert(result.errors, vim.inspect(response.error))
    end
    for _, action in ipairs(response.result or {}) do
      table.insert(result.actions, { title = action.title, kind = action.kind })
    end
  end
  if vim.diagnostic.config then
    local config = vim.diagnostic.config()
    result.virtual_text = config.virtual_text and true or false
    result.virtual_lines = config.virtual_lines and true or false
  end
  if watch ~= nil then
    result.watched = {}
    vim.cmd('write')
    local reached = vim.wait(timeout * 4, function()
      local value = vim.g[watch]
      if value ~= nil and value ~= result.watched[#result.watched] then
        table.insert(result.watched, value)
      end
      return value ~= nil and string.find(value, watch_until) ~= nil
    end, 20)
    if not reached then
      table.insert(result.errors, 'g:' .. watch .. ' never matched ' .. watch_until)
    end
  end
end)
if not ok then
  table.insert(result.errors, tostring(err))
end
finish(ok and #result.errors == 0)
