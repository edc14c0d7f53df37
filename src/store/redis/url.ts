/** Where a Redis store connects, as parsed from its URL. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/** Parse a redis:/rediss: URL without ever echoing it (it may carry a password). */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error('invalid Redis store URL: expected redis://[user:password@]host[:port][/db] or rediss://…');
  }
  const scheme = parsed.protocol.toLowerCase();
  if (scheme !== 'redis:' && scheme !== 'rediss:') throw new Error(`a Redis store URL must start with redis: or rediss:, not ${scheme}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error('the Redis store URL needs a host, e.g. redis://localhost:6379');
  if (parsed.search !== '' || parsed.hash !== '') throw new Error('the Redis store URL takes no query string or fragment');
  const dbText = parsed.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(dbText)) throw new Error('the Redis store URL path must be a database number, e.g. redis://host:6379/0');
  const target: RedisTarget = {
    host,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: dbText === '' ? 0 : Number(dbText),
    tls: scheme === 'rediss:',
  };
  try {
    if (parsed.username !== '') target.username = decodeURIComponent(parsed.username);
    if (parsed.password !== '') target.password = decodeURIComponent(parsed.password);
  } catch {
    throw new Error('the Redis store URL has a malformed percent-encoding in its user or password');
  }
  return target;
}
