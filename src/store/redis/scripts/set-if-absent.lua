-- Same keys and arguments as set.lua, but only when no live value exists (SET NX PX). 1 when written.
local written
if ARGV[2] == '' then
  written = redis.call('SET', KEYS[1], ARGV[1], 'NX')
else
  written = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
end
if not written then return 0 end
redis.call('DEL', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[5])
return 1
