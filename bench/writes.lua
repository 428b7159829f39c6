-- The write load of `bench/run`: each wrk thread has one keep-alive connection and works through its
-- own list of requests, in order, one at a time (a state transition must follow its run's creation).
--
--   wrk -t 8 -c 8 -d 3600s -s bench/writes.lua http://host:port -- DIR
--
-- DIR/ops-<thread>.txt holds the thread's requests, one per line: kind, path and JSON body separated
-- by tabs, where kind is
--   "c" a creation whose answer's id is recorded (written to the result file),
--   "t" a task run creation whose id replaces "{TASK}" in the paths that follow,
--   "s" a state transition (counted).
-- A 503 ("busy, retry") is counted and the same request is sent again after a back-off; any other
-- answer outside 2xx is counted as a failed write and skipped. The reference closes the connection
-- after each 503 (Starlette re-raises the error its handler answered, and uvicorn then drops the
-- connection), and wrk sends the next request before it notices: so after a 503 the thread sleeps
-- (blocking only itself: it has one connection) and sends `GET /api/health` until one is answered,
-- and only then the retry, which therefore cannot be lost with the dying connection.
--
-- When its list is done, the thread writes DIR/result-<thread>.txt ("start end answered busy
-- failed transitions", monotonic seconds, then one created id per line) and stops; bench/run ends
-- wrk once every thread has written (wrk itself would wait out its whole duration).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } weir_bench_timespec;
  int clock_gettime(int clock, weir_bench_timespec *out);
  int usleep(unsigned int microseconds);
]]
local timespec = ffi.new("weir_bench_timespec")
local function now()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local threads = 0
function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

function init(args)
  dir = args[1]
  ops = {}
  for line in io.lines(dir .. "/ops-" .. index .. ".txt") do
    local kind, path, body = line:match("^(%a)\t([^\t]*)\t(.*)$")
    ops[#ops + 1] = { kind, path, body }
  end
  position, task, created = 1, nil, {}
  answered, busy, failed, transitions, backoff = 0, 0, 0, 0, 0
  started, finished, probing = nil, false, false
end

function finish()
  finished = true
  local out = io.open(dir .. "/result-" .. index .. ".txt.part", "w")
  out:write(string.format("%.6f %.6f %d %d %d %d\n", started or now(), now(), answered, busy, failed, transitions))
  for _, id in ipairs(created) do
    out:write(id, "\n")
  end
  out:close()
  os.rename(dir .. "/result-" .. index .. ".txt.part", dir .. "/result-" .. index .. ".txt")
  wrk.thread:stop()
end

function request()
  started = started or now()
  local op = ops[position]
  if finished or probing or op == nil then
    return wrk.format("GET", "/api/health")
  end
  local path = op[2]
  if task then
    path = path:gsub("{TASK}", task)
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, op[3])
end

function response(status, headers, body)
  if finished then
    return
  end
  if probing then
    probing = status ~= 200
    return
  end
  local op = ops[position]
  if op == nil then
    return finish()
  end
  answered = answered + 1
  if status == 503 then
    busy = busy + 1
    backoff = math.min(1000, backoff * 2 + 10)
    ffi.C.usleep(backoff * 1000)
    probing = true
    return
  end
  backoff = 0
  if status >= 200 and status < 300 then
    local id = body:match('"id"%s*:%s*"([%x%-]+)"')
    if op[1] == "c" then
      created[#created + 1] = id or ""
    elseif op[1] == "t" then
      task = id
    else
      transitions = transitions + 1
    end
  else
    failed = failed + 1
    if op[1] == "c" then
      created[#created + 1] = ""
    elseif op[1] == "t" then
      task = nil
    end
    if failed <= 3 then
      io.stderr:write("bench/writes.lua: ", op[2], " answered ", status, ": ", body:sub(1, 300), "\n")
    end
  end
  position = position + 1
  if position > #ops then
    finish()
  end
end
