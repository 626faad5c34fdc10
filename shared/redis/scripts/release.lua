--[[ release: end a lease exactly once, record its outcome on the account, and append an event.

KEYS[1]  the key prefix (q2a:{q2a}:)
ARGV     1 now (epoch s)     2 lease id       3 outcome         4 retry_after s (0 = upstream gave none)
         5 reason text       6 input tokens   7 output tokens   8 MAX_ERROR_COUNT
         9 backoff base s   10 backoff max s 11 rand in [0,1)  12 events stream max length
Outcomes success | cancelled | bad_request   leave the account healthy (success resets the error streak)
         throttled | quota_exhausted          cool down until retry_after (else exponential backoff + jitter)
         suspended                            status suspended, out of the pool
         token_expired                        token marked expired, refresh requested
         upstream_error | timeout             count towards MAX_ERROR_COUNT consecutive errors → disabled
         reaped                               a crashed holder's lease expired: only free the slot
Returns  {account status after, account in-flight after}, or {} when the lease was already released.
]]
local p = KEYS[1]
local now = tonumber(ARGV[1])
local lease_id, outcome = ARGV[2], ARGV[3]
local retry_after, reason = tonumber(ARGV[4]), ARGV[5]
local tin, tout = tonumber(ARGV[6]), tonumber(ARGV[7])
local max_errors, base, cap = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local rand, maxlen = tonumber(ARGV[11]), tonumber(ARGV[12])

local lease_key = p .. 'lease:' .. lease_id
local lease = redis.call('HMGET', lease_key, 'account', 'provider', 'key', 'model', 'estimate', 'request', 'started')
if not lease[1] then return {} end
redis.call('DEL', lease_key)
redis.call('ZREM', p .. 'leases', lease_id)

local id, provider, key_id, model = lease[1], lease[2], lease[3], lease[4]
local acct = p .. 'acct:' .. id
local exists = redis.call('EXISTS', acct) == 1

-- the client key: free its concurrency slot; charge what the request really used
if key_id and key_id ~= '' then
  local kin = p .. 'keyinflight:' .. key_id
  if tonumber(redis.call('DECR', kin)) < 0 then redis.call('SET', kin, 0) end
  local extra = tout + math.max(0, tin - tonumber(lease[5] or '0'))
  if extra > 0 then
    local tpm_key = p .. 'keytpm:' .. key_id .. ':' .. math.floor(now / 60)
    redis.call('INCRBY', tpm_key, extra)
    redis.call('EXPIRE', tpm_key, 120)
  end
end

local status, inflight = 'gone', 0
if exists then
  inflight = tonumber(redis.call('HINCRBY', acct, 'inflight', -1))
  if inflight < 0 then redis.call('HSET', acct, 'inflight', 0) inflight = 0 end
  status = redis.call('HGET', acct, 'status') or 'active'
  local pool = p .. 'pool:' .. (provider or '')

  local function cool(seconds, why)
    redis.call('HSET', acct, 'status', 'cooling', 'cool_until', tostring(now + seconds), 'status_reason', why,
      'status_at', ARGV[1])
    status = 'cooling'
  end

  if outcome == 'success' then
    redis.call('HSET', acct, 'err_streak', 0, 'throttle_streak', 0)
    redis.call('HINCRBY', acct, 'ok_total', 1)
  elseif outcome == 'throttled' or outcome == 'quota_exhausted' then
    local streak = tonumber(redis.call('HINCRBY', acct, 'throttle_streak', 1))
    local wait = retry_after
    if wait <= 0 then
      wait = math.min(cap, base * (2 ^ (streak - 1)))
      wait = wait * (0.75 + 0.5 * rand)
    end
    cool(wait, reason ~= '' and reason or outcome)
  elseif outcome == 'suspended' then
    redis.call('HSET', acct, 'status', 'suspended', 'status_reason', reason, 'status_at', ARGV[1])
    redis.call('ZREM', pool, id)
    status = 'suspended'
  elseif outcome == 'token_expired' then
    redis.call('HSET', acct, 'token_exp', -1)
    redis.call('ZADD', p .. 'refresh:due', 0, id)
    redis.call('PUBLISH', p .. 'refresh:now', id)
  elseif outcome == 'upstream_error' or outcome == 'timeout' then
    local streak = tonumber(redis.call('HINCRBY', acct, 'err_streak', 1))
    redis.call('HINCRBY', acct, 'err_total', 1)
    if streak >= max_errors then
      redis.call('HSET', acct, 'status', 'disabled', 'enabled', '0', 'status_at', ARGV[1],
        'status_reason', streak .. ' consecutive upstream errors (MAX_ERROR_COUNT=' .. max_errors .. '); last: ' .. reason)
      redis.call('ZREM', pool, id)
      status = 'disabled'
    end
  end
end

redis.call('XADD', p .. 'events', 'MAXLEN', '~', maxlen, '*',
  'ts', ARGV[1], 'lease', lease_id, 'account', id, 'provider', provider or '', 'key', key_id or '',
  'model', model or '', 'outcome', outcome, 'reason', reason, 'in', tostring(tin), 'out', tostring(tout),
  'status', status, 'request', lease[6] or '', 'started', lease[7] or '')
return {status, tostring(inflight)}
