-- wrk script: replays pre-signed /lead requests, each sent once, and counts confirmations.
-- Each wrk thread reads every N-th line of the file (N = thread count) so no two share one.
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
      local ts, sig, body = line:match("^(%d+)\t(%S+)\t(.*)$")
      requests_list[#requests_list + 1] = wrk.format("POST", "/slack/events", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Slack-Request-Timestamp"] = ts,
        ["X-Slack-Signature"] = sig,
      }, body)
    end
    i = i + 1
  end
  next_index = 1
  confirmed = 0
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
  if status == 200 and body:find("Saved", 1, true) then
    confirmed = confirmed + 1
  end
end

function done(summary, latency, requests)
  local total_confirmed, total_exhausted = 0, 0
  for _, thread in ipairs(threads) do
    total_confirmed = total_confirmed + thread:get("confirmed")
    total_exhausted = total_exhausted + thread:get("exhausted")
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d status_errors=%d socket_errors=%d " ..
    "p50_us=%d p99_us=%d max_us=%d confirmed=%d exhausted=%d\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, total_confirmed, total_exhausted))
end
