-- The bare GET / of bench/hello_app.py, each request timed as one "flow" (bench/run.py, issue 21).

package.path = "./?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

function request()
  common.begin()
  return wrk.format("GET", "/", {})
end

function response(status, _headers, _body)
  common.finish(status == 200)
end
