import { loadConfig, type ConfigSources } from '../config/load.js';
import { publicUrlOf } from '../config/build.js';
import { loadOrCreateDevKeys, mintDevToken } from '../dev/dev-keys.js';
import { serverUrls } from '../urls.js';

/** `gatehouse token`: print an access token for a server started with `--dev-keys` (same data dir and public URL). */
export async function runToken(options: Record<string, unknown>, sources: ConfigSources): Promise<void> {
  const config = loadConfig({ ...sources, flags: { ...sources.flags, devKeys: true } });
  const ttl = Number(options['ttl']);
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 86_400) throw new Error('--ttl must be a whole number of seconds between 1 and 86400');
  const urls = serverUrls(publicUrlOf(config), config.mcpPath);
  const keys = await loadOrCreateDevKeys(config.dataDir);
  const token = await mintDevToken(keys, {
    issuer: urls.origin,
    audience: urls.resource,
    subject: String(options['sub']),
    scopes: String(options['scope']).split(' ').filter(Boolean),
    clientId: String(options['clientId']),
    email: options['email'] as string | undefined,
    username: options['username'] as string | undefined,
    ttlSeconds: ttl,
  });
  process.stdout.write(`${token}\n`);
}
