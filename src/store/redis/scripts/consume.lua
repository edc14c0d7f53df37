-- KEYS: value, mark. ARGV: now (ms). The mark gets exactly the value's remaining lifetime.
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 then
  redis.call('SET', KEYS[2], ARGV[1])
elseif ttl > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
else
  return 0
end
return 1
