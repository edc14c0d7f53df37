// Scenario 1: the same Gatehouse server with a JWT verifier (local JWKS issuer) and with auth switched off.
import { dangerouslyNoAuth, jwt } from '../../src/index.js';
import type { HttpTarget } from '../common.js';
import { resourceMode, startGatehouse } from './gatehouse-target.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

/** Distinct tokens cycled by each connection: a handful of users, not one token verified from a cache. */
export const TOKENS_PER_TARGET = 8;

/** Gatehouse verifying JWTs from the issuer, on `port`; its resource is `http://localhost:<port>/mcp`, the tokens' audience. */
export async function startJwtTarget(issuer: { url: string; jwksUri: string }, port: number, tokens: string[]): Promise<HttpTarget> {
  const gh = await startGatehouse(resourceMode(issuer.url, jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri })), port);
  const target: HttpTarget = { name: 'gatehouse-jwt', url: gh.url, requests: whoamiRequests(gh.path, tokens), close: () => gh.running.close() };
  await checkWhoami(target.url, target.requests[0]!, /user-0/);
  return target;
}

/** The same server with authentication switched off, sent the same calls without a token. */
export async function startNoAuthTarget(): Promise<HttpTarget> {
  const gh = await startGatehouse(dangerouslyNoAuth());
  const target: HttpTarget = { name: 'gatehouse-noauth', url: gh.url, requests: whoamiRequests(gh.path, [undefined]), close: () => gh.running.close() };
  await checkWhoami(target.url, target.requests[0]!, /authenticated/);
  return target;
}

export const resourceUrlFor = (port: number) => `http://127.0.0.1:${port}/mcp`;
