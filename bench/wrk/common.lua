-- Shared by the wrk scripts of `make bench` (bench/run.py, issue 21): a per-connection state
-- machine, wall-clock timing of whole flows, and a JSON summary printed by done().
--
-- wrk keeps one Lua state per thread and does not say which connection a response belongs to, so
-- bench/run.py always starts wrk with as many threads as connections (-t N -c N): one connection,
-- one state. Requests are sent one at a time (no pipelining); gunicorn's sync workers close the
-- connection after each response, so every request is a fresh TCP connection, as for a browser
-- behind nginx.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } kanal_timespec;
int clock_gettime(int clock, kanal_timespec *ts);
]])
local now_ts = ffi.new("kanal_timespec")

local M = {}

function M.now()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) + tonumber(now_ts.tv_nsec) * 1e-9
end

function M.urlencode(text)
  return (tostring(text):gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function M.form(fields)
  local parts = {}
  for _, pair in ipairs(fields) do
    parts[#parts + 1] = M.urlencode(pair[1]) .. "=" .. M.urlencode(pair[2])
  end
  return table.concat(parts, "&")
end

-- The value of a hidden input by name (attribute order as WTForms renders it).
function M.hidden(body, name)
  return body:match('<input[^>]- name="' .. name .. '"[^>]- value="([^"]*)"')
end

-- The first non-empty numeric <option value="N"> of the select named `name`.
function M.first_option(body, name)
  local start = body:find('name="' .. name .. '"', 1, true)
  if not start then
    return nil
  end
  return body:match('<option[^>]- value="(%d+)"', start)
end

-- "name=value" of the session cookie from a response's Set-Cookie (the portal sets only one).
function M.cookie(headers)
  local raw = headers["Set-Cookie"] or headers["set-cookie"]
  return raw and raw:match("^([^;]+)") or nil
end

-- Timing and counting, per thread (= per connection). Read by done() through thread:get().
flows = 0
failures = 0
samples = {}
local began = nil

function M.begin()
  began = M.now()
end

function M.finish(ok)
  if ok then
    flows = flows + 1
    if began then
      samples[#samples + 1] = M.now() - began
    end
  else
    failures = failures + 1
  end
  began = nil
end

M.threads = {}

function M.setup(thread)
  M.threads[#M.threads + 1] = thread
  thread:set("id", #M.threads) -- tells the threads' canaries apart
end

local function quantile(sorted, q)
  if #sorted == 0 then
    return 0
  end
  -- inclusive method, as Python's statistics.quantiles(method="inclusive")
  local position = (#sorted - 1) * q + 1
  local low = math.floor(position)
  local high = math.min(low + 1, #sorted)
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low)
end

function M.done(summary, latency, _requests)
  local all, total_flows, total_failures = {}, 0, 0
  for _, thread in ipairs(M.threads) do
    total_flows = total_flows + (thread:get("flows") or 0)
    total_failures = total_failures + (thread:get("failures") or 0)
    for _, value in ipairs(thread:get("samples") or {}) do
      all[#all + 1] = value
    end
  end
  table.sort(all)
  -- every flow's seconds, one a line, for bench/run.py to merge rounds exactly
  local path = os.getenv("KANAL_WRK_SAMPLES")
  if path then
    local out = assert(io.open(path, "w"))
    for _, value in ipairs(all) do
      out:write(string.format("%.6f\n", value))
    end
    out:close()
  end
  local errors = summary.errors
  io.write(string.format(
    '{"flows": %d, "failures": %d, "seconds": %.3f, "requests": %d, '
      .. '"flow_p50_ms": %.3f, "flow_p99_ms": %.3f, "timed_flows": %d, '
      .. '"request_p50_ms": %.3f, "request_p99_ms": %.3f, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    total_flows, total_failures, summary.duration / 1e6, summary.requests,
    quantile(all, 0.5) * 1000, quantile(all, 0.99) * 1000, #all,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end

return M
