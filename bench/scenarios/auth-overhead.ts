// Scenario 1: the same Gatehouse server with a JWT verifier (local JWKS issuer) and with auth switched off.
import { dangerouslyNoAuth, jwt } from '../../src/index.js';
import { TestIssuer } from '../../test/helpers/issuer.js';
import type { HttpTarget } from '../common.js';
import { resourceMode, startGatehouse } from './gatehouse-target.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

/** Distinct tokens cycled by each connection: a handful of users, not one token verified from a cache. */
export const TOKENS_PER_TARGET = 8;

export async function startAuthOverhead(issuer: TestIssuer): Promise<{ jwtTarget: HttpTarget; noAuthTarget: HttpTarget; tokens: string[]; resourceUrl: string }> {
  const withJwt = await startGatehouse(resourceMode(issuer.url, jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri })));
  const resourceUrl = withJwt.running.urls.resource;
  const tokens = await Promise.all(Array.from({ length: TOKENS_PER_TARGET }, (_, i) => issuer.token(resourceUrl, { sub: `user-${i}`, expiresIn: 3600 })));
  const jwtTarget: HttpTarget = { name: 'gatehouse-jwt', url: withJwt.url, requests: whoamiRequests(withJwt.path, tokens), close: () => withJwt.running.close() };
  await checkWhoami(jwtTarget.url, jwtTarget.requests[0]!, /user-0/);

  const open = await startGatehouse(dangerouslyNoAuth());
  const noAuthTarget: HttpTarget = { name: 'gatehouse-noauth', url: open.url, requests: whoamiRequests(open.path, [undefined]), close: () => open.running.close() };
  await checkWhoami(noAuthTarget.url, noAuthTarget.requests[0]!, /authenticated/);
  return { jwtTarget, noAuthTarget, tokens, resourceUrl };
}
