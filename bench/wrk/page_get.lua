-- A GET of one portal page with no cookie (a fresh visitor), each request timed as one "flow"
-- (bench/run.py, issue 21): the status form and the report form, served from the fresh-page copy.
--     wrk ... -s page_get.lua URL -- PATH

package.path = "./?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local path = "/status"

function init(args)
  path = args[1] or "/status"
end

function request()
  common.begin()
  return wrk.format("GET", path, {})
end

function response(status, _headers, _body)
  common.finish(status == 200)
end
