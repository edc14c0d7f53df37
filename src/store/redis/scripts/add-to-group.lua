-- KEYS: group. ARGV: score, member, now (ms), slack (ms). Expired members are dropped, and the group key itself
-- expires (with some slack for clock skew between replicas and Redis) once its last member would have.
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] == 'inf' then
  redis.call('PERSIST', KEYS[1])
elseif top[2] then
  redis.call('PEXPIREAT', KEYS[1], math.floor(tonumber(top[2])) + tonumber(ARGV[4]))
end
return 1
