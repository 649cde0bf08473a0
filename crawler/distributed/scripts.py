"""The Lua scripts behind `Coordinator`: each multi-key step on a run's shared state is one
script, so Redis runs it atomically (a request is always in the queue or in exactly one worker's
in-flight hash; two workers starting at once cannot both clean a run).

Every script that creates a key gives it the run's time to live (`ttl`, milliseconds), so that no
key of a run is ever left without an expiry, whatever moment its workers die at.
"""

from __future__ import annotations

# The state of a run, as one look sees it (shared by JOIN and LOOK, so a worker and
# `newsarchive workers` judge a run by the same rule).
# KEYS: workers, seed, requests, dupefilter, jobs.
# ARGV: this worker's id ('' for none), worker-hash prefix, in-flight prefix, the seed's `done`.
_STATE = """
local function look()
  local ids = redis.call('SMEMBERS', KEYS[1])
  local alive, inflight = 0, 0
  for _, id in ipairs(ids) do
    if id ~= ARGV[1] then
      alive = alive + redis.call('EXISTS', ARGV[2] .. id)
      inflight = inflight + redis.call('HLEN', ARGV[3] .. id)
    end
  end
  local seed = redis.call('GET', KEYS[2])
  local queued = redis.call('ZCARD', KEYS[3])
  local seen = redis.call('SCARD', KEYS[4])
  local idle = seed == ARGV[4] and queued == 0 and inflight == 0
  local state
  if alive > 0 then
    if idle then state = 'ending' else state = 'running' end
  elseif idle then
    state = 'finished'
  elseif not seed then
    if #ids == 0 and queued == 0 and seen == 0 and redis.call('EXISTS', KEYS[5]) == 0 then
      state = 'new'
    else
      state = 'expired'
    end
  else
    state = 'interrupted'
  end
  return ids, {state, seen, queued, inflight, alive}
end
"""

LOOK = (
    _STATE
    + """
local _, found = look()
return found
"""
)
"""Read only: {state, seen, queued, in flight, other workers alive}."""

# KEYS: workers, seed, requests, dupefilter, jobs, this worker's hash, this worker's in-flight.
# ARGV: worker id, worker-hash prefix, in-flight prefix, done, worker timeout, ttl, then the
# worker hash's fields and values.
JOIN = (
    _STATE
    + """
local ids, found = look()
if found[1] == 'finished' or found[1] == 'expired' then
  -- nobody is left to end it: delete what remains, and this worker starts a new run
  local doomed = {KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]}
  for _, id in ipairs(ids) do
    doomed[#doomed + 1] = ARGV[2] .. id
    doomed[#doomed + 1] = ARGV[3] .. id
  end
  redis.call('DEL', unpack(doomed))
end
redis.call('HSET', KEYS[6], unpack(ARGV, 7))
redis.call('PEXPIRE', KEYS[6], ARGV[5])
redis.call('SADD', KEYS[1], ARGV[1])
for _, key in ipairs({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7]}) do
  redis.call('PEXPIRE', key, ARGV[6])
end
return found
"""
)
"""Register a worker, first deleting a run nobody is left to end; returns what LOOK would have."""

# KEYS: this worker's hash, workers, then every other key of the run it keeps alive.
# ARGV: worker id, worker timeout, ttl, then the worker hash's fields and values.
HEARTBEAT = """
local known = redis.call('EXISTS', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return known
"""

# A job id is "<queue score>|<counter>": the score puts a recovered request back where it was.
# KEYS: requests, this worker's in-flight, jobs. ARGV: ttl.
POP = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #popped == 0 then return false end
redis.call('ZREM', KEYS[1], popped[1])
local job = popped[2] .. '|' .. redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], job, popped[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('PEXPIRE', KEYS[3], ARGV[1])
return {job, popped[1]}
"""

# KEYS: requests, a worker's in-flight. ARGV: ttl.
REQUEUE = """
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[1], string.match(entries[i], '^(.-)|'), entries[i + 1])
end
if #entries > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
redis.call('DEL', KEYS[2])
return #entries / 2
"""

# KEYS: seed. ARGV: worker id, worker-hash prefix, done, ttl.
CLAIM_SEED = """
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
  return 'seed'
end
if holder == ARGV[3] then return 'done' end
if redis.call('EXISTS', ARGV[2] .. holder) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
  return 'seed'
end
return 'wait'
"""

# KEYS: workers, queue; ARGV: worker id, worker-hash prefix, in-flight prefix, finished (0/1),
# ttl, then every key to delete when the last worker leaves a finished run.
LEAVE = """
local me = ARGV[1]
local entries = redis.call('HGETALL', ARGV[3] .. me)
for i = 1, #entries, 2 do
  redis.call('ZADD', KEYS[2], string.match(entries[i], '^(.-)|'), entries[i + 1])
end
if #entries > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[5]) end
redis.call('DEL', ARGV[3] .. me, ARGV[2] .. me)
redis.call('SREM', KEYS[1], me)
if ARGV[4] ~= '1' or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
local others = redis.call('SMEMBERS', KEYS[1])
for _, id in ipairs(others) do
  if redis.call('EXISTS', ARGV[2] .. id) == 1 or redis.call('HLEN', ARGV[3] .. id) > 0 then
    return 0
  end
end
for _, id in ipairs(others) do redis.call('DEL', ARGV[2] .. id, ARGV[3] .. id) end
redis.call('DEL', unpack(ARGV, 6))
return 1
"""
