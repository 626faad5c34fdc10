--[[ extend_lease: push a live lease's deadline out (long streams), so the reaper leaves it alone.

KEYS[1]  the key prefix (q2a:{q2a}:)
ARGV     1 now (epoch s)   2 lease id   3 ttl (s)
Returns  1 when extended, 0 when the lease no longer exists (released or reaped).
]]
local p = KEYS[1]
local lease_key = p .. 'lease:' .. ARGV[2]
if redis.call('EXISTS', lease_key) == 0 then return 0 end
local deadline = tonumber(ARGV[1]) + tonumber(ARGV[3])
redis.call('HSET', lease_key, 'deadline', tostring(deadline))
redis.call('ZADD', p .. 'leases', 'XX', deadline, ARGV[2])
return 1
