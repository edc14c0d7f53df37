import type { AuthInfo } from '@modelcontextprotocol/server';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { HttpRequestSpec } from '../common.js';

/** `tools/call whoami` on the stateless 2025-11-25 path: one POST, no initialize, as the protected-endpoint tests send it. */
export const WHOAMI_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

export function whoamiRequests(path: string, tokens: Array<string | undefined>): HttpRequestSpec[] {
  return mcpRequests(path, tokens, WHOAMI_BODY);
}

/** Any JSON-RPC request sent the same way: one stateless 2025-11-25 POST per token. */
export function mcpRequests(path: string, tokens: Array<string | undefined>, body: string): HttpRequestSpec[] {
  return tokens.map((token) => ({
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    body,
  }));
}

/** Send one request and insist on a real tool result, so no target is measured answering errors. */
export async function checkWhoami(url: string, request: HttpRequestSpec, expect: RegExp): Promise<void> {
  const response = await fetch(new URL(request.path, url), { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  if (response.status !== 200 || !expect.test(text)) throw new Error(`${url}: expected a whoami result, got ${response.status} ${text.slice(0, 300)}`);
}

/**
 * How each peer checks its bearer tokens (the minimal hand-rolled alternative every peer asks its user to write):
 * jose against the issuer's JWKS, with the same issuer, audience and required claims as Gatehouse. The SDK's
 * AuthInfo shape, which the SDK v2 and mcp-handler peers both take.
 */
export function peerTokenVerifier(issuer: { url: string; jwksUri: string }, resourceUrl: string) {
  const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
  return async (token: string): Promise<AuthInfo> => {
    const { payload } = await jwtVerify(token, jwks, { issuer: issuer.url, audience: resourceUrl, requiredClaims: ['exp', 'sub'] });
    return {
      token,
      clientId: String(payload['client_id'] ?? ''),
      scopes: typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [],
      expiresAt: payload.exp,
      resource: new URL(resourceUrl),
      extra: { sub: payload.sub },
    };
  };
}
