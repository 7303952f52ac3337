-- wrk script: POST /api/jobs/feed, the first page of a stable scan of 1,000 full jobs; prints p50/p99 in microseconds.
function init(args)
  wrk.method = "POST"
  wrk.body = '{"batch_size":1000}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Api-Key"] = os.getenv("API_KEY")
end

function done(summary, latency, requests)
  io.write(string.format("LATENCY_P50_US %d\n", latency:percentile(50)))
  io.write(string.format("LATENCY_P99_US %d\n", latency:percentile(99)))
end
