-- KEYS: kind index. ARGV: value key prefix, mark key prefix. Flat reply: id, json, mark, pttl per live record;
-- ids whose value is gone (expired, or deleted by a purge on another kind's behalf) leave the index.
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local value = redis.call('GET', key)
  if value then
    out[#out + 1] = id
    out[#out + 1] = value
    out[#out + 1] = redis.call('GET', ARGV[2] .. id)
    out[#out + 1] = redis.call('PTTL', key)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
