-- KEYS: group. ARGV: key base ('{prefix}:'), now (ms). Deletes every record a live member names, then the group.
-- The record keys are built here from the members (see keys.ts): legal on a cluster only because the hash tag
-- puts them in the group's slot.
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')
for _, member in ipairs(members) do
  local colon = string.find(member, ':', 1, true)
  if colon then
    local kind = string.gsub(string.sub(member, 1, colon - 1), '%%', '%%25')
    local id = string.sub(member, colon + 1)
    redis.call('DEL', ARGV[1] .. 'v:' .. kind .. ':' .. id, ARGV[1] .. 'c:' .. kind .. ':' .. id)
    redis.call('ZREM', ARGV[1] .. 'k:' .. kind, id)
  end
end
redis.call('DEL', KEYS[1])
return #members
