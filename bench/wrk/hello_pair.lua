-- The bare ceiling's pair (bench/hello_app.py): GET / then POST / with one text field, over and
-- over; a flow is timed from the GET's send to the POST's answer (bench/run.py, issue 21).

package.path = "./?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local posting = false
local text = common.form({ { "text", "Setoran bulanan dari staf ke atasan setiap tanggal lima." } })

function request()
  if posting then
    return wrk.format("POST", "/", { ["Content-Type"] = "application/x-www-form-urlencoded" }, text)
  end
  common.begin()
  return wrk.format("GET", "/", {})
end

function response(status, _headers, body)
  if not posting then
    if status == 200 then
      posting = true
    else
      common.finish(false)
    end
    return
  end
  posting = false
  common.finish(status == 200 and body:find("characters", 1, true) ~= nil)
end
