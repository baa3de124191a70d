-- wrk script: replays pre-built lead webhook calls, each sent once, and counts 202 answers.
-- Each line of the file is `secret<TAB>JSON body`; each wrk thread reads every N-th line
-- (N = thread count) so no two share one.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  requests_list = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == id then
      local secret, body = line:match("^(%S+)\t(.*)$")
      requests_list[#requests_list + 1] = wrk.format("POST", "/hooks/leads", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. secret,
      }, body)
    end
    i = i + 1
  end
  next_index = 1
  accepted = 0
  repeated = 0
  non2xx = 0
  exhausted = 0
end

function request()
  local req = requests_list[next_index]
  if req == nil then
    exhausted = exhausted + 1
    req = requests_list[1]
  else
    next_index = next_index + 1
  end
  return req
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status == 200 then
    repeated = repeated + 1
  elseif status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local totals = {accepted = 0, repeated = 0, non2xx = 0, exhausted = 0}
  for _, thread in ipairs(threads) do
    for name, value in pairs(totals) do
      totals[name] = value + thread:get(name)
    end
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d non2xx=%d socket_errors=%d " ..
    "p50_us=%d p99_us=%d max_us=%d accepted=%d repeated=%d exhausted=%d\n",
    summary.requests, summary.duration, totals.non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max,
    totals.accepted, totals.repeated, totals.exhausted))
end
