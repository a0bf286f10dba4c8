-- What the wrk scripts of scripts/bench.sh share.
--
-- wrk runs every thread in its own Lua state and never says which connection
-- asks for the next request. So setup() numbers the threads in the main
-- state; each thread takes its contiguous slice of the ids file and splits
-- it among its connections ("walkers"), which take turns. A connection has
-- one request in flight, so two requests meet on one server only when a
-- walker's slice is shorter than the number of connections. Status counts
-- live in each thread's state; done() adds them up with thread:get.
--
-- Arguments after `--`: ids_file threads connections [script's own...]

local common = {}
local threads = {}

-- Per thread: answers that mean success, 409s, anything else.
ok, conflict, other = 0, 0, 0

function common.setup(thread)
  thread:set("thread_index", #threads)
  threads[#threads + 1] = thread
end

local function read_ids(path)
  local ids = {}
  for line in io.lines(path) do
    if line ~= "" then
      ids[#ids + 1] = line
    end
  end
  assert(#ids > 0, "no ids in " .. path)
  return ids
end

-- The first id of the file: the one server the read figures ask for.
function common.first_id(args)
  return read_ids(args[1])[1]
end

-- This thread's walkers over its slice of the ids.
function common.init_walkers(args)
  local all = read_ids(args[1])
  local nthreads, nconns = tonumber(args[2]), tonumber(args[3])
  local index = thread_index or 0
  local lo = math.floor(#all * index / nthreads) + 1
  local hi = math.floor(#all * (index + 1) / nthreads)
  local count = hi - lo + 1
  local k = math.max(1, math.min(math.floor(nconns / nthreads), count))
  walkers, turn = {}, 0
  for w = 1, k do
    local from = lo + math.floor(count * (w - 1) / k)
    local to = lo + math.floor(count * w / k) - 1
    walkers[w] = { first = from, last = to, at = from - 1 }
  end
  all_ids = all
end

-- The next walker's next server id.
function common.next_id()
  turn = turn % #walkers + 1
  local w = walkers[turn]
  w.at = w.at + 1
  if w.at > w.last then
    w.at = w.first
  end
  return all_ids[w.at]
end

function common.count(status, success)
  if status == success then
    ok = ok + 1
  elseif status == 409 then
    conflict = conflict + 1
  else
    other = other + 1
  end
end

local function report(okn, conflictn, othern, summary, latency)
  local e = summary.errors
  io.write(string.format(
    "RESULT ok=%d conflict=%d other=%d requests=%d duration_us=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    okn, conflictn, othern, summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end

-- For scripts with response(): the counts of every thread.
function common.done(summary, latency, _)
  local okn, conflictn, othern = 0, 0, 0
  for _, t in ipairs(threads) do
    okn = okn + t:get("ok")
    conflictn = conflictn + t:get("conflict")
    othern = othern + t:get("other")
  end
  report(okn, conflictn, othern, summary, latency)
end

-- For static scripts (no response(), the fastest wrk has): every answer
-- below 400 counts as success.
function common.done_static(summary, latency, _)
  local bad = summary.errors.status
  report(summary.requests - bad, 0, bad, summary, latency)
end

return common
