import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SessionOptions } from '../connect/session.js';

/** How doctor's own sign-in reaches the person: as `gatehouse connect` does (the browser, or the printed URL). */
export type SignInOptions = Pick<SessionOptions, 'openBrowser' | 'browserCommand' | 'log' | 'scope'>;

/**
 * Sign in at the server's authorization server the way `gatehouse connect` does — discovery, registration, PKCE,
 * a loopback redirect — in a token file of its own that is thrown away, and hand back the access token it got.
 * A fresh file, so what is checked is a sign-in done now, not a token stored earlier.
 */
export async function signInForToken(url: URL, options: SignInOptions): Promise<string> {
  // Loaded here: only --login needs the MCP client.
  const [{ connect }, { TokenStore }] = await Promise.all([import('../connect/connect.js'), import('../connect/token-store.js')]);
  const configDir = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-'));
  try {
    const connection = await connect(url, { ...options, configDir, clientName: 'gatehouse doctor' });
    await connection.close();
    const record = new TokenStore(configDir).read(url.href);
    const token = record.current ? record.issuers[record.current]?.tokens?.access_token : undefined;
    if (!token) throw new Error('the sign-in ended without an access token');
    return token;
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}
