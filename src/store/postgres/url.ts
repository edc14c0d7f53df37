import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';

/** Where a PostgreSQL store connects, as parsed from its URL. */
export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  /** TLS settings for the connection, or false for none. */
  tls: false | ConnectionOptions;
}

/** The sslmode values understood, as in libpq; `require` checks the certificate too (see tlsFor). */
const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof SSL_MODES)[number];
const PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'] as const;

const USAGE = 'expected postgres://[user[:password]@]host[:port]/database[?sslmode=verify-full&sslrootcert=<ca.pem>]';

/** Parse a postgres:/postgresql: URL without ever echoing it (it may carry a password). */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`invalid PostgreSQL store URL: ${USAGE}`);
  }
  const scheme = parsed.protocol.toLowerCase();
  if (scheme !== 'postgres:' && scheme !== 'postgresql:') throw new Error(`a PostgreSQL store URL must start with postgres: or postgresql:, not ${scheme}`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new Error('the PostgreSQL store URL needs a host, e.g. postgres://gatehouse@localhost:5432/gatehouse');
  if (parsed.hash !== '') throw new Error('the PostgreSQL store URL takes no fragment');
  let user: string;
  let password: string | undefined;
  let database: string;
  try {
    user = decodeURIComponent(parsed.username);
    if (parsed.password !== '') password = decodeURIComponent(parsed.password);
    database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  } catch {
    throw new Error('the PostgreSQL store URL has a malformed percent-encoding in its user, password or database');
  }
  if (user === '') throw new Error('the PostgreSQL store URL needs a user name, e.g. postgres://gatehouse@localhost:5432/gatehouse');
  if (database === '' || database.includes('/')) throw new Error(`the PostgreSQL store URL needs one database name as its path: ${USAGE}`);
  for (const name of parsed.searchParams.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new Error(`the PostgreSQL store URL has an unknown parameter "${name}"; supported: ${PARAMETERS.join(', ')}`);
    }
  }
  const target: PostgresTarget = {
    host,
    port: parsed.port === '' ? 5432 : Number(parsed.port),
    database,
    user,
    tls: tlsFor(parsed.searchParams, host),
  };
  if (password !== undefined) target.password = password;
  return target;
}

/**
 * TLS from libpq's parameters. Off unless sslmode asks for it. `require` verifies the certificate chain and the
 * host name like `verify-full`: an unverified connection would hand the store (tokens, grants, sealed keys) to
 * whoever sits on the path. `verify-ca` checks the chain only. `sslrootcert` names a CA file for a private CA;
 * `sslcert` and `sslkey` a client certificate.
 */
function tlsFor(params: URLSearchParams, host: string): false | ConnectionOptions {
  const mode = params.get('sslmode') ?? 'disable';
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new Error(`the PostgreSQL store URL's sslmode must be one of ${SSL_MODES.join(', ')}`);
  }
  const files = ['sslrootcert', 'sslcert', 'sslkey'].filter((name) => params.has(name));
  if ((mode as SslMode) === 'disable') {
    if (files.length > 0) throw new Error(`the PostgreSQL store URL sets ${files.join(', ')} but not sslmode: add sslmode=verify-full`);
    return false;
  }
  if (params.has('sslcert') !== params.has('sslkey')) throw new Error('the PostgreSQL store URL needs sslcert and sslkey together');
  const tls: ConnectionOptions = { rejectUnauthorized: true };
  // SNI carries host names only; for an IP address the certificate is still checked against the IP.
  if (!isIP(host)) tls.servername = host;
  if ((mode as SslMode) === 'verify-ca') tls.checkServerIdentity = () => undefined;
  const ca = params.get('sslrootcert');
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  if (ca !== null) tls.ca = readTlsFile('sslrootcert', ca);
  if (cert !== null) tls.cert = readTlsFile('sslcert', cert);
  if (key !== null) tls.key = readTlsFile('sslkey', key);
  return tls;
}

function readTlsFile(parameter: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the PostgreSQL store URL's ${parameter} file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}
