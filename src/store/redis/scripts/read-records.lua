-- KEYS: kind index (declared for routing only). ARGV: value key prefix, mark key prefix, then ids.
-- Flat reply as list.lua's (id, json, mark, pttl) for those of the ids whose value is still there.
-- Read-only, unlike list.lua.
local out = {}
for i = 3, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  local value = redis.call('GET', key)
  if value then
    out[#out + 1] = ARGV[i]
    out[#out + 1] = value
    out[#out + 1] = redis.call('GET', ARGV[2] .. ARGV[i])
    out[#out + 1] = redis.call('PTTL', key)
  end
end
return out
