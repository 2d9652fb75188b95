-- wrk script: each thread posts its own slice of pre-signed, distinct events
-- (BENCH_EVENTS file, "<signature>\t<body>" per line) over keep-alive.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
  sigs, bodies = {}, {}
  local n = 0
  for line in io.lines(os.getenv("BENCH_EVENTS")) do
    if n % nthreads == tid then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    n = n + 1
  end
  i = 0
  path = os.getenv("BENCH_PATH") or "/webhooks/bench"
  -- BENCH_LIMIT: wrap after this many events per thread's share (the
  -- duplicate-path run re-posts only events already stored).
  limit = tonumber(os.getenv("BENCH_LIMIT") or "0")
  if limit > 0 then limit = math.floor(limit / nthreads) end
  if limit <= 0 or limit > #bodies then limit = #bodies end
  -- BENCH_SIG=github: the same HMAC as GitHub's X-Hub-Signature-256 header
  -- ("sha256=<hex>"), the form adnanh/webhook's payload-hmac-sha256 rule reads.
  github_style = os.getenv("BENCH_SIG") == "github"
  if github_style then
    for k = 1, #sigs do sigs[k] = sigs[k]:gsub("^hmacsha256=", "sha256=") end
  end
end

function request()
  i = i + 1
  if i > limit then i = 1 end  -- wrapped: later posts are duplicates (still 200)
  local header = github_style and "X-Hub-Signature-256" or "x-apple-signature"
  return wrk.format("POST", path, { [header] = sigs[i], ["Content-Type"] = "application/json" }, bodies[i])
end

function done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d duration_s=%.2f non2xx=%d errors=%d p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
