-- wrk script: POST /api/auto-apply-v2/apply, each request to a job not applied to yet.
-- Job ids come from the file named by the JOBS_FILE environment variable, one per line;
-- thread i of n takes ids i, i+n, i+2n, ... so no two requests share a job.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  jobs = {}
  for line in io.lines(os.getenv("JOBS_FILE")) do
    jobs[#jobs + 1] = line
  end
  nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  index = tid
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-api-key"] = os.getenv("API_KEY") or "bench_key"
end

function request()
  local job = jobs[((index - 1) % #jobs) + 1]
  index = index + nthreads
  local body = '{"jobId":"' .. job .. '","coverLetter":"Hello from the benchmark: I have done this before.","proposal":{"hourlyRate":50}}'
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("LATENCY_P50_US %d\n", latency:percentile(50)))
  io.write(string.format("LATENCY_P99_US %d\n", latency:percentile(99)))
end
