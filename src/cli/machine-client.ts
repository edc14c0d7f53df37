import { readFileSync } from 'node:fs';
import type { ClientKeys, MachineCredentials } from '../authserver/clients/registry.js';
import { isScopeToken } from '../resource/scopes.js';
import { UsageError } from './failure.js';

const COMMAND = 'gatehouse clients add';

/**
 * The machine client `clients add --machine` describes: its scopes, and its public keys when it signs assertions
 * instead of holding a secret. Mistakes are the operator's: one line naming the flag.
 */
export function machineCredentials(options: Record<string, unknown>, allowHttpJwksUri: boolean): MachineCredentials {
  for (const flag of ['preset', 'redirectUri', 'confidential', 'resourceServer'] as const) {
    if (options[flag] !== undefined)
      throw new UsageError(
        `--machine takes no --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: a machine client has no redirects and no person`,
        COMMAND,
      );
  }
  const scopes = (options['scope'] as string[] | undefined) ?? [];
  if (scopes.length === 0) throw new UsageError('--machine needs --scope: the scopes this client may ask for, e.g. --scope read:whoami', COMMAND);
  const bad = scopes.find((s) => !isScopeToken(s));
  if (bad !== undefined) throw new UsageError(`--scope ${JSON.stringify(bad)} is not a valid OAuth scope (printable ASCII, no spaces or quotes)`, COMMAND);
  return { scopes, ...clientKeys(options, allowHttpJwksUri) };
}

/**
 * The public keys a client signs its `private_key_jwt` assertions with (`--jwks-uri` or `--jwks-file`), for a
 * machine or an enterprise client; none when it is to hold a secret instead.
 */
export function clientKeys(options: Record<string, unknown>, allowHttpJwksUri: boolean): ClientKeys {
  const jwksUri = options['jwksUri'] as string | undefined;
  const jwksFile = options['jwksFile'] as string | undefined;
  if (jwksUri !== undefined && jwksFile !== undefined) throw new UsageError('give --jwks-uri or --jwks-file, not both', COMMAND);
  if (jwksUri !== undefined) return { jwksUri: checkedJwksUri(jwksUri, allowHttpJwksUri) };
  if (jwksFile !== undefined) return { jwks: publicJwks(jwksFile) };
  return {};
}

function checkedJwksUri(value: string, allowHttp: boolean): string {
  const url = URL.parse(value);
  if (url?.protocol === 'https:' || (allowHttp && url?.protocol === 'http:')) return value;
  throw new UsageError(`--jwks-uri ${JSON.stringify(value)} must be an https URL where the client publishes its public keys`, COMMAND);
}

/** The client's public keys from a JWKS file; a private key there is a mistake that would leak it into the store. */
function publicJwks(path: string): { keys: Record<string, unknown>[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--jwks-file ${path}: ${(error as Error).message.split('\n')[0]}`, COMMAND);
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k) => typeof k === 'object' && k !== null && typeof (k as { kty?: unknown }).kty === 'string')
  ) {
    throw new UsageError(`--jwks-file ${path} is not a JWK Set: write {"keys": [ …public JWKs… ]}`, COMMAND);
  }
  if (keys.some((k) => 'd' in k)) throw new UsageError(`--jwks-file ${path} holds a private key: give the client's public keys only`, COMMAND);
  return { keys };
}
