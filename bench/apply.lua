-- wrk script: POST /api/auto-apply-v2/apply, each request to an (account, job) pair not applied to yet.
-- Job ids come from the file named by JOBS_FILE, one per line. Request n (counting from START) goes
--   with ACCOUNTS=0 (default): to job n with the key API_KEY;
--   with ACCOUNTS=k: to job n // k with the key bench_key_<n % k> (bench/worlds.py uses the same order).
-- Thread i of t takes requests i, i+t, i+2t, ... so no two requests share a pair.
-- STOP_AFTER=N stops each thread after N responses (the fill of the full bench world).
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

function init(args)
  jobs = {}
  for line in io.lines(os.getenv("JOBS_FILE")) do
    jobs[#jobs + 1] = line
  end
  nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  accounts = tonumber(os.getenv("ACCOUNTS") or "0")
  stop_after = tonumber(os.getenv("STOP_AFTER") or "0")
  responses = 0
  index = tonumber(os.getenv("START") or "0") + tid - 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["x-api-key"] = os.getenv("API_KEY") or "bench_key"
end

function request()
  local n = index
  index = index + nthreads
  local job
  if accounts > 0 then
    job = jobs[(math.floor(n / accounts) % #jobs) + 1]
    wrk.headers["x-api-key"] = string.format("bench_key_%04d", n % accounts)
  else
    job = jobs[(n % #jobs) + 1]
  end
  local body = '{"jobId":"' .. job .. '","coverLetter":"Hello from the benchmark: I have done this before.","proposal":{"hourlyRate":50}}'
  return wrk.format(nil, nil, nil, body)
end

if os.getenv("STOP_AFTER") then
  function response(status, headers, body)
    responses = responses + 1
    if responses >= stop_after then
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  io.write(string.format("LATENCY_P50_US %d\n", latency:percentile(50)))
  io.write(string.format("LATENCY_P99_US %d\n", latency:percentile(99)))
end
