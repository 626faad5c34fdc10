--[[ lease: admit a request for a client key and lease one account of a provider, in one round trip.

KEYS[1]  the key prefix (q2a:{q2a}:) — every key below shares its hash tag
ARGV     1 now (epoch s)           2 provider            3 strategy (random|round_robin|least_inflight|lazy)
         4 lease id                5 lease ttl (s)       6 rand in [0,1) from the caller
         7 pinned account id or "" 8 session key or ""   9 session ttl (s)
        10 lazy pool size         11 token margin (s)   12 client key id or ""
        13 key requests/min (0 = no limit)              14 key tokens/min (0 = no limit)
        15 key max concurrent (0 = no limit)            16 estimated input tokens
        17 model                  18 request id
Returns  {"ok", account id, access token, region, profile arn, project, proxy url, deadline}
         {"key_limited", which (rpm|tpm|concurrency), retry_after s}
         {"none", reason (no_accounts|busy|cooling|no_token|pinned_missing|pinned_unavailable), retry_after s}
Accounts are hashes at <prefix>acct:<id>; the provider's pool is the sorted set <prefix>pool:<provider>
(members: enabled accounts not disabled/suspended/invalid; score: the operator's order).
Cost: random and lazy look at a few accounts drawn at random (rand, then a generator seeded by it)
and take the first usable one; only when RANDOM_TRIES draws all miss do they check every account, as
round_robin may and least_inflight always does. So a lease costs O(log n), not O(n), while most
accounts can serve.
]]
local p = KEYS[1]
local now = tonumber(ARGV[1])
local provider, strategy, lease_id = ARGV[2], ARGV[3], ARGV[4]
local ttl, rand = tonumber(ARGV[5]), tonumber(ARGV[6])
local pin, session, session_ttl = ARGV[7], ARGV[8], tonumber(ARGV[9])
local lazy_size, margin = tonumber(ARGV[10]), tonumber(ARGV[11])
local key_id = ARGV[12]
local rpm, tpm, kmax = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local estimate, model, request_id = tonumber(ARGV[16]), ARGV[17], ARGV[18]

-- 1. the client key's limits (read only; counted once an account is leased)
local minute = math.floor(now / 60)
local rpm_key = p .. 'keyrpm:' .. key_id .. ':' .. minute
local tpm_key = p .. 'keytpm:' .. key_id .. ':' .. minute
local kin_key = p .. 'keyinflight:' .. key_id
local to_next_minute = 60 - (now % 60)
if key_id ~= '' then
  if rpm > 0 and tonumber(redis.call('GET', rpm_key) or '0') >= rpm then
    return {'key_limited', 'rpm', tostring(math.ceil(to_next_minute))}
  end
  if tpm > 0 and tonumber(redis.call('GET', tpm_key) or '0') + estimate > tpm then
    return {'key_limited', 'tpm', tostring(math.ceil(to_next_minute))}
  end
  if kmax > 0 and tonumber(redis.call('GET', kin_key) or '0') >= kmax then
    return {'key_limited', 'concurrency', '1'}
  end
end

-- 2. which accounts could serve, and why not
local soonest = nil
local seen = {busy = false, cooling = false, no_token = false}

local function usable(id)
  local a = redis.call('HMGET', p .. 'acct:' .. id,
    'provider', 'enabled', 'status', 'cool_until', 'inflight', 'max_conc', 'token', 'token_exp')
  if a[1] ~= provider or a[2] ~= '1' then return false end
  local status = a[3]
  if status == 'cooling' then
    local until_ = tonumber(a[4] or '0')
    if until_ > now then
      seen.cooling = true
      if soonest == nil or until_ < soonest then soonest = until_ end
      return false
    end
  elseif status ~= 'active' then
    return false
  end
  local cap = tonumber(a[6] or '0')
  if cap > 0 and tonumber(a[5] or '0') >= cap then seen.busy = true return false end
  local exp = tonumber(a[8] or '0')
  if a[7] == false or a[7] == '' or exp < 0 or (exp > 0 and exp <= now + margin) then
    seen.no_token = true
    return false
  end
  return true
end

local chosen = nil
if pin ~= '' then
  if redis.call('EXISTS', p .. 'acct:' .. pin) == 0 then return {'none', 'pinned_missing', '0'} end
  if not usable(pin) then
    return {'none', 'pinned_unavailable', tostring(soonest and math.ceil(soonest - now) or 1)}
  end
  chosen = pin
end

if chosen == nil and session ~= '' then
  local sticky = redis.call('GET', p .. 'affinity:' .. session)
  if sticky and usable(sticky) then chosen = sticky end
end

-- random and lazy: uniform among the usable ones. Each draw is uniform over the pool (the window, for
-- lazy), so the first usable account drawn is uniform over the usable ones; the first draw uses rand
-- itself, so with every account usable the choice is the one the full scan below would make.
local RANDOM_TRIES = 8
local draw = rand
local seed = math.floor(rand * 2147483646) + 1
local function next_draw()  -- MINSTD (Park-Miller): exact in Lua's doubles
  seed = (seed * 48271) % 2147483647
  draw = (seed - 1) / 2147483646
end

if chosen == nil then
  local pool = p .. 'pool:' .. provider
  local n = redis.call('ZCARD', pool)
  if strategy == 'lazy' and n > lazy_size then n = lazy_size end
  if n == 0 then return {'none', 'no_accounts', '0'} end
  if strategy ~= 'round_robin' and strategy ~= 'least_inflight' then
    for _ = 1, RANDOM_TRIES do
      local id = redis.call('ZRANGE', pool, math.floor(draw * n), math.floor(draw * n))[1]
      if id and usable(id) then chosen = id break end
      next_draw()
    end
  end
end

if chosen == nil then
  local pool = p .. 'pool:' .. provider
  local ids
  if strategy == 'lazy' then
    ids = redis.call('ZRANGE', pool, 0, lazy_size - 1)
  else
    ids = redis.call('ZRANGE', pool, 0, -1)
  end
  if #ids == 0 then return {'none', 'no_accounts', '0'} end
  local n = #ids
  if strategy == 'round_robin' then
    local start = redis.call('INCR', p .. 'rr:' .. provider) % n
    for i = 0, n - 1 do
      local id = ids[((start + i) % n) + 1]
      if usable(id) then chosen = id break end
    end
  else
    local candidates = {}
    for i = 1, n do
      if usable(ids[i]) then candidates[#candidates + 1] = ids[i] end
    end
    if #candidates > 0 then
      if strategy == 'least_inflight' then
        local best, best_load = nil, nil
        local offset = math.floor(rand * #candidates)
        for i = 0, #candidates - 1 do
          local id = candidates[((offset + i) % #candidates) + 1]
          local load = tonumber(redis.call('HGET', p .. 'acct:' .. id, 'inflight') or '0')
          if best_load == nil or load < best_load then best, best_load = id, load end
        end
        chosen = best
      else -- random (seed default) and lazy, when every draw missed: uniform among the usable ones
        chosen = candidates[math.floor(draw * #candidates) + 1]
      end
    end
  end
end

if chosen == nil then
  if seen.busy then return {'none', 'busy', '1'} end
  if seen.cooling then return {'none', 'cooling', tostring(math.max(1, math.ceil(soonest - now)))} end
  if seen.no_token then return {'none', 'no_token', '2'} end
  return {'none', 'no_accounts', '0'}
end

-- 3. count the request and record the lease
local acct = p .. 'acct:' .. chosen
redis.call('HINCRBY', acct, 'inflight', 1)
redis.call('HSET', acct, 'last_used', ARGV[1])
if redis.call('HGET', acct, 'status') == 'cooling' then redis.call('HSET', acct, 'status', 'active') end
if key_id ~= '' then
  redis.call('INCR', rpm_key)
  redis.call('EXPIRE', rpm_key, 120)
  if estimate > 0 then
    redis.call('INCRBY', tpm_key, estimate)
    redis.call('EXPIRE', tpm_key, 120)
  end
  redis.call('INCR', kin_key)
end
local deadline = now + ttl
redis.call('HSET', p .. 'lease:' .. lease_id, 'account', chosen, 'provider', provider, 'key', key_id,
  'model', model, 'deadline', tostring(deadline), 'estimate', tostring(estimate), 'request', request_id,
  'started', ARGV[1])
redis.call('ZADD', p .. 'leases', deadline, lease_id)
if session ~= '' then
  redis.call('SET', p .. 'affinity:' .. session, chosen, 'EX', session_ttl)
end
local a = redis.call('HMGET', acct, 'token', 'region', 'profile_arn', 'project', 'proxy_url')
return {'ok', chosen, a[1] or '', a[2] or '', a[3] or '', a[4] or '', a[5] or '', tostring(deadline)}
