import type { Http } from './http.js';
import type { Challenge } from './www-authenticate.js';

/** What the doctor was asked, with every default filled in. */
export interface Settings {
  /** Go on through a real authorization: call tools/list with `token`. */
  login: boolean;
  token?: string;
  /** Register one client per preset at the server's registration endpoint (creates records there). */
  registerProbe: boolean;
  /** The browser origin whose CORS access is checked. */
  origin: string;
  /** A request slower than this is a warning. */
  slowMs: number;
}

/**
 * What the checks learn about the server, in the order a client learns it: each group of checks reads what the
 * groups before it found and adds its own, so every request is made once.
 */
export interface Facts {
  /** The MCP URL as given, parsed. */
  url: URL;
  /** Its canonical form (RFC 8707 §2): what the metadata's `resource` and a token's audience must equal. */
  resource: string;
  http: Http;
  settings: Settings;
  /** The answer to the unauthenticated request, and the challenge it carried (Bearer, else DPoP). */
  challenge?: { status: number; header?: string; parsed?: Challenge };
  /** The protected resource metadata a client would use: the first found of header URL, path-inserted, root. */
  prm?: { url: string; document: Record<string, unknown> };
  /** The authorization server the metadata names first (the one a client would use). */
  issuer?: string;
  /** Its metadata, and where it was found. */
  as?: { url: string; document: Record<string, unknown> };
}

export function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

export function scopeList(value: string | undefined): string[] {
  return (value ?? '').split(' ').filter(Boolean);
}
