--[[ sync_account: write the store's view of one account into its serving hash and its pool.

Serving counters (inflight, streaks, cooldown) are left alone; only fields the store owns are written,
and only when the store's version is not older than what Redis holds.
KEYS[1]  the key prefix (q2a:{q2a}:)
ARGV     1 account id   2 version   3 pool score (operator order)   4 in pool ("1"/"0")
         5.. field, value pairs (provider, enabled, status, token, token_exp, region, …)
Returns  1 when written, 0 when Redis already held a newer version.
]]
local p = KEYS[1]
local id = ARGV[1]
local acct = p .. 'acct:' .. id
local version = tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', acct, 'version') or '-1')
if current > version then return 0 end
local fields = {}
local provider = nil
local current_status = redis.call('HGET', acct, 'status')
for i = 5, #ARGV, 2 do
  local name, value = ARGV[i], ARGV[i + 1]
  -- a cooldown lives in Redis only: the store's "active" does not end it early
  if not (name == 'status' and value == 'active' and current_status == 'cooling') then
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  end
  if name == 'provider' then provider = value end
end
redis.call('HSET', acct, 'version', ARGV[2], unpack(fields))
if redis.call('HEXISTS', acct, 'inflight') == 0 then redis.call('HSET', acct, 'inflight', 0) end
local old_provider = redis.call('HGET', acct, 'pool_provider')
if old_provider and old_provider ~= provider then redis.call('ZREM', p .. 'pool:' .. old_provider, id) end
redis.call('HSET', acct, 'pool_provider', provider)
if ARGV[4] == '1' then
  redis.call('ZADD', p .. 'pool:' .. provider, tonumber(ARGV[3]), id)
else
  redis.call('ZREM', p .. 'pool:' .. provider, id)
end
return 1
