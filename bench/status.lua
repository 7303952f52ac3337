-- wrk script: GET /api/auto-apply-v2/status for one known queueId; prints p50/p99 in microseconds.
function init(args)
  wrk.headers["x-api-key"] = os.getenv("API_KEY") or "bench_key"
end

function done(summary, latency, requests)
  io.write(string.format("LATENCY_P50_US %d\n", latency:percentile(50)))
  io.write(string.format("LATENCY_P99_US %d\n", latency:percentile(99)))
end
