import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { noteSecret } from './leak-record.js';

/** What the provider says about one person, in the signed ID token. */
export interface ClaimsPerson {
  email?: string;
  email_verified?: boolean;
  /** Google: the Workspace domain. */
  hd?: string;
  /** Microsoft Entra: the tenant id. */
  tid?: string;
}

export interface ClaimsUpstream {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider, in this process) whose ID tokens carry the claims a test chooses per
 * person, such as Google's `hd` and Entra's `tid`. People sign in on its own development pages with any
 * password; the login typed is the subject.
 */
export async function startClaimsUpstream(callbackUrl: string, people: Record<string, ClaimsPerson>): Promise<ClaimsUpstream> {
  const clientId = 'claims-upstream-app';
  const clientSecret = 'claims-upstream-secret-0123456789abcdef0123456789';
  noteSecret(clientSecret);
  let server: Server | undefined;
  await new Promise<void>((resolve) => {
    server = createServer();
    server.listen(0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      { client_id: clientId, client_secret: clientSecret, redirect_uris: [callbackUrl], grant_types: ['authorization_code'], response_types: ['code'] },
    ],
    claims: { openid: ['sub', 'hd', 'tid'], email: ['email', 'email_verified'] },
    // Every claim of the granted scopes goes in the ID token, where admission reads hd and tid.
    conformIdTokenClaims: false,
    cookies: { keys: ['claims-upstream-cookie-key-0123456789'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx, id) {
      return { accountId: id, claims: async () => ({ sub: id, ...people[id] }) };
    },
  });
  server!.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: async () => {
      server!.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}
