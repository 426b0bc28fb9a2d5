-- A reporter's new report, over and over, one fresh visit each (bench/run.py, issue 21):
-- GET /lapor (no cookie) -> the session cookie, the CSRF token, the form's one-time form_token and
-- the first category and unit -> POST /lapor with a valid 5W2H report -> 200 with a receipt.
-- A flow is timed from the GET's send to the POST's answer; anything else counts as a failure.
--
--     wrk -t N -c N -d 5s -s report_flow.lua http://127.0.0.1:PORT   (run from bench/wrk)

package.path = "./?.lua;" .. package.path
local common = require("common")

setup = common.setup
done = common.done

local posting = false
local post = nil
local number = 0

local function report(body)
  local csrf = common.hidden(body, "csrf_token")
  local form_token = common.hidden(body, "form_token")
  local category = common.first_option(body, "category")
  local opd = common.first_option(body, "opd")
  if not (csrf and form_token and category and opd) then
    return nil
  end
  number = number + 1
  return common.form({
    { "csrf_token", csrf },
    { "form_token", form_token },
    { "category", category },
    { "opd", opd },
    { "what", "Setoran bulanan dari staf ke atasan setiap tanggal lima. KANARI-wrk-" .. tostring(id) .. "-" .. number },
    { "who", "Kepala seksi pelayanan" },
    { "when", "Setiap tanggal lima sejak Januari" },
    { "where", "Ruang kepala seksi, lantai dua" },
    { "how", "Uang tunai dalam amplop, dicatat sebagai iuran kegiatan" },
    { "amount", "Rp 1.500.000" },
    { "contact", "" },
  })
end

function request()
  if posting then
    return wrk.format("POST", "/lapor", {
      ["Cookie"] = post.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, post.body)
  end
  common.begin()
  return wrk.format("GET", "/lapor", {})
end

function response(status, headers, body)
  if not posting then
    local cookie = common.cookie(headers)
    local form = status == 200 and cookie and report(body)
    if form then
      post = { cookie = cookie, body = form }
      posting = true
    else
      common.finish(false)
    end
    return
  end
  posting = false
  common.finish(status == 200 and body:find('class="receipt"', 1, true) ~= nil)
end
