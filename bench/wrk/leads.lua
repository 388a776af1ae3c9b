-- wrk script for the burst-intake phase: POST /leads with a different lead on every request (unique
-- e-mail and external id, so no lead is a duplicate), each answer's status counted.
--
--   wrk -t2 -c32 -d5s -s bench/wrk/leads.lua http://127.0.0.1:PORT/leads -- <run id> <secret> [teams]
--
-- Prints one line `WRK_RESULT {json}` at the end: requests, statuses, latency percentiles (ms).

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  run = args[1] or "wrk"
  secret = args[2] or "bench-webhook-secret"
  teams = tonumber(args[3] or "40")
  path = wrk.path
  counter = 0
  statuses = {}
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. secret }
end

function request()
  counter = counter + 1
  local i = thread_no * 10000000 + counter
  local body = string.format(
    '{"external_id":"wrk-%s-%d","source":"form","email":"lead%d-%s@company%d.example","name":"Lead %d","title":"VP Sales",' ..
    '"company":{"name":"Company %d","employees":%d,"country":"US"},"score":%d,"message":"We need 300 seats by Q3","fields":{"team_no":%d}}',
    run, i, i, run, i % 997, i, i % 997, (i * 37) % 5000, i % 101, i % teams)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do counts[tostring(status)] = (counts[tostring(status)] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%s":%d', status, n)) end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"errors":%d,"seconds":%.3f,"statusCounts":{%s},"latencyMs":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f}}\n',
    summary.requests, errors, summary.duration / 1e6, table.concat(parts, ","),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
