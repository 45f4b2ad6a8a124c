-- wrk script: prints the run's numbers as one JSON line for bench/run.py.
--
--   wrk -t1 -c32 -d10s --latency -s bench/wrk/report.lua -H 'Authorization: ...' URL
--
-- The request itself is wrk's static one (URL and -H headers), so this script costs nothing
-- per request; done() runs once, at the end, in wrk's main thread.

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d, ' ..
    '"latency_mean_us": %.1f, "latency_max_us": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
