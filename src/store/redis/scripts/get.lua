-- KEYS: value, mark. One round trip for value, consumed mark and remaining TTL.
local value = redis.call('GET', KEYS[1])
if not value then return false end
return {value, redis.call('GET', KEYS[2]), redis.call('PTTL', KEYS[1])}
