-- wrk script for bench/bench_callback.py: every request is a different, correctly encrypted
-- WeCom message read from the file $BENCH_REQUESTS (one "path?query<TAB>body" per line,
-- written by the benchmark). Thread k of $BENCH_THREADS sends lines k, k+T, k+2T, … in order;
-- if a thread ever runs out it starts again from its first line and counts those as `wrapped`
-- (replays: the benchmark then reports the round as invalid). A response is `bad` unless it
-- is a 200 carrying an <Encrypt> element. done() prints one RESULT line the benchmark parses.

local threads = {}
local count = 0

function setup(thread)
   thread:set("id", count)
   table.insert(threads, thread)
   count = count + 1
end

function init(args)
   local nthreads = tonumber(os.getenv("BENCH_THREADS"))
   local f = assert(io.open(os.getenv("BENCH_REQUESTS"), "r"))
   reqs = {}
   local i = 0
   for line in f:lines() do
      if i % nthreads == id then
         local tab = line:find("\t", 1, true)
         local path, body = line:sub(1, tab - 1), line:sub(tab + 1)
         reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
      end
      i = i + 1
   end
   f:close()
   sent, bad, wrapped = 0, 0, 0
   -- wrk calls request() once on thread 0 before the run to check the request's shape
   -- (script_verify_request); that call must not use up a message
   unsent_check = (id == 0)
end

function request()
   if unsent_check then
      unsent_check = false
      return reqs[1]
   end
   if sent >= #reqs then
      wrapped = wrapped + 1
   end
   local r = reqs[(sent % #reqs) + 1]
   sent = sent + 1
   return r
end

function response(status, headers, body)
   if status ~= 200 or not body:find("<Encrypt>", 1, true) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local sent_by = {}
   local bad_total, wrapped_total = 0, 0
   for _, t in ipairs(threads) do
      sent_by[#sent_by + 1] = t:get("id") .. ":" .. t:get("sent")
      bad_total = bad_total + t:get("bad")
      wrapped_total = wrapped_total + t:get("wrapped")
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d bad=%d wrapped=%d " ..
      "connect=%d read=%d write=%d status=%d timeout=%d sent=%s\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
      bad_total, wrapped_total, e.connect, e.read, e.write, e.status, e.timeout, table.concat(sent_by, ",")))
end
