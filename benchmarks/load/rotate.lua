-- wrk script of benchmarks/load.py: rotate over request lines "path<TAB>Header: value" (the header
-- is optional: a session Cookie or an API Authorization) read from a file,
-- stop each thread after a maximum number of requests, and report percentiles and bad statuses.
--
-- wrk -t2 -c20 -d20s --latency -s rotate.lua http://127.0.0.1:PORT -- LINES_FILE MAX_PER_THREAD

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  for line in io.lines(args[1]) do
    local path, header = line:match("^([^\t]*)\t?(.*)$")
    local name, value = header:match("^([^:]+):%s*(.*)$")
    table.insert(lines, { path = path, name = name, value = value })
  end
  max_requests = tonumber(args[2]) or 0
  -- each thread starts at another place in the list, so the threads do not walk in step
  index = (id * 7919) % #lines
  sent, done_count, bad = 0, 0, 0
  first_bad = ""
end

function request()
  index = index % #lines + 1
  sent = sent + 1
  local item = lines[index]
  local headers = {}
  if item.name then headers[item.name] = item.value end
  return wrk.format("GET", item.path, headers)
end

function response(status, headers, body)
  done_count = done_count + 1
  if status ~= 200 then
    bad = bad + 1
    if first_bad == "" then first_bad = tostring(status) end
  end
  if max_requests > 0 and done_count >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local bad_total, first = 0, ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + (thread:get("bad") or 0)
    local fb = thread:get("first_bad")
    if first == "" and fb and fb ~= "" then first = fb end
  end
  io.write(string.format(
    'LOADJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "bad": %d, "first_bad": "%s", "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, bad_total, first,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
