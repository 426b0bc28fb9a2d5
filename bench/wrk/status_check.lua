-- A status check (bench/run.py, issue 21): GET /status once for the session cookie and the CSRF
-- token, then POST /status with the receipt over and over, each POST timed as one "flow".
--     wrk ... -s status_check.lua URL -- RECEIPT EXPECTED_STATUS
-- A valid receipt answers 302 (to the reporter's page), an invalid one 200 (the form again).

package.path = "./?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local receipt, expected = "", 302
local body = nil
local cookie = nil

function init(args)
  receipt = args[1] or ""
  expected = tonumber(args[2] or "302")
end

function request()
  if body then
    common.begin()
    return wrk.format("POST", "/status", {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  return wrk.format("GET", "/status", {})
end

function response(status, headers, page)
  if not body then
    local csrf = common.hidden(page, "csrf_token")
    cookie = common.cookie(headers)
    if status == 200 and csrf and cookie then
      body = common.form({ { "csrf_token", csrf }, { "receipt", receipt } })
    else
      common.finish(false)
    end
    return
  end
  local ok = status == expected
  common.finish(ok)
  if not ok then
    body = nil -- start again from the form
  end
end
