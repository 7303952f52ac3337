-- wrk script: GET /api/jobs?page_size=100 (every active job, newest first, default facets); prints p50/p99 in microseconds.
function init(args)
  wrk.headers["X-Api-Key"] = os.getenv("API_KEY")
end

function done(summary, latency, requests)
  io.write(string.format("LATENCY_P50_US %d\n", latency:percentile(50)))
  io.write(string.format("LATENCY_P99_US %d\n", latency:percentile(99)))
end
