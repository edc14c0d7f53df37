// Scenario 4: Gatehouse verifying opaque tokens through RFC 7662 introspection (with its cache), counted at the
// local introspection server, against the JWT target.
import { randomBytes } from 'node:crypto';
import { introspection } from '../../src/index.js';
import { TestIntrospectionServer } from '../../test/helpers/introspection-server.js';
import type { HttpTarget } from '../common.js';
import { resourceMode, startGatehouse } from './gatehouse-target.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

/** The verifier's default cache period (cacheMaxSeconds), stated so the expected call count can be derived. */
export const CACHE_SECONDS = 60;

export async function startIntrospection(distinctTokens: number): Promise<{ target: HttpTarget; server: TestIntrospectionServer; tokens: string[] }> {
  const server = await TestIntrospectionServer.start();
  const verifier = introspection({ url: server.endpoint, clientId: server.clientId, clientSecret: server.clientSecret, cacheMaxSeconds: CACHE_SECONDS });
  const gh = await startGatehouse(resourceMode(server.url, verifier));
  const tokens = Array.from({ length: distinctTokens }, () => randomBytes(24).toString('base64url'));
  tokens.forEach((token, i) => {
    server.tokens.set(token, {
      sub: `user-${i}`,
      aud: gh.running.urls.resource,
      scope: 'read:whoami',
      exp: Math.floor(Date.now() / 1000) + 3600,
      client_id: 'bench',
      iss: server.url,
    });
  });
  const target: HttpTarget = {
    name: 'gatehouse-introspection',
    url: gh.url,
    requests: whoamiRequests(gh.path, tokens),
    close: async () => {
      await gh.running.close();
      await server.close();
    },
  };
  await checkWhoami(gh.url, target.requests[0]!, /user-0/);
  return { target, server, tokens };
}
