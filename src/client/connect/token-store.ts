import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OAuthDiscoveryState, StoredOAuthClientInformation, StoredOAuthTokens } from '@modelcontextprotocol/client';
import type { JWK } from 'jose';
import { writeFileDurably } from '../../util/durable-file.js';

/** What one authorization server gave us for one MCP server: the client registration and the tokens. */
export interface IssuerRecord {
  client?: StoredOAuthClientInformation;
  tokens?: StoredOAuthTokens;
}

/** Everything kept for one MCP server URL. */
export interface ServerRecord {
  /** Keyed by the authorization server's `issuer`, so a server that moves to another one starts afresh there. */
  issuers: Record<string, IssuerRecord>;
  /** The issuer whose tokens were saved last: the ones to present to the MCP server. */
  current?: string;
  discovery?: OAuthDiscoveryState;
  /** The private DPoP key (JWK) the tokens are bound to; a bound token is useless without it. */
  dpopKey?: JWK;
}

interface StoreFile {
  version: 1;
  servers: Record<string, ServerRecord>;
}

export const TOKEN_FILE = 'tokens.json';

/**
 * The tokens and registrations of `gatehouse connect`: one JSON file, mode 0600 in a 0700 directory, keyed by
 * MCP server URL and then by issuer. Read on every access and rewritten whole, so two bridges to different
 * servers see each other's writes.
 */
export class TokenStore {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, TOKEN_FILE);
  }

  read(server: string): ServerRecord {
    return this.load().servers[server] ?? { issuers: {} };
  }

  update(server: string, change: (record: ServerRecord) => void): void {
    const file = this.load();
    const record = file.servers[server] ?? { issuers: {} };
    change(record);
    file.servers[server] = record;
    writeFileDurably(this.path, `${JSON.stringify(file, null, 2)}\n`);
    // The directory may have existed with a looser mode (writeFileDurably only sets it on creation).
    chmodSync(this.dir, 0o700);
  }

  private load(): StoreFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, servers: {} };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<StoreFile>;
    if (parsed.version !== 1 || typeof parsed.servers !== 'object' || parsed.servers === null) {
      throw new Error(`${this.path} is not a token file of this version of gatehouse; move it away to start afresh`);
    }
    return parsed as StoreFile;
  }
}
