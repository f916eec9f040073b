-- wrk: POST the body in $BODY_FILE with every request (a GET when it is unset); print the
-- latency percentiles in microseconds on one line the bench script parses.
local file = os.getenv("BODY_FILE")
if file ~= nil and file ~= "" then
  local f = assert(io.open(file, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.status + summary.errors.timeout))
end
