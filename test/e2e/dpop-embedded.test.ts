import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, decodeJwt, redeemCode } from '../helpers/authorize.js';
import { DpopKey } from '../helpers/dpop.js';
import { MCP_HEADERS } from '../helpers/server.js';
import { APP_REDIRECT, startAttackServer, type AttackServer } from '../authserver/attacks/fixture.js';

const WHOAMI = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

/**
 * Embedded mode end to end: a client that sends a DPoP proof to the token endpoint gets a DPoP-bound token
 * (`token_type: DPoP`, `cnf.jkt`) from the built-in authorization server, and that token is then worth nothing at
 * the MCP endpoint without the client's key — neither as a bearer token nor with another key's proofs.
 */
describe('DPoP end to end in embedded mode', () => {
  let server: AttackServer;
  let key: DpopKey;
  let token: string;

  const callMcp = (authorization: string, proof?: string) =>
    fetch(server.urls.resource, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2025-11-25', authorization, ...(proof !== undefined && { dpop: proof }) },
      body: WHOAMI,
    });

  before(async () => {
    server = await startAttackServer();
    key = await DpopKey.create();
    const flow = await authorize(server.flow);
    const response = await redeemCode(server, {
      client: { clientId: server.app.clientId },
      code: flow.params.get('code')!,
      redirectUri: APP_REDIRECT,
      codeVerifier: flow.codeVerifier,
      headers: { dpop: await key.proof({ htu: `${server.urls.issuer}/token` }) },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body['token_type'], 'DPoP');
    token = String(response.body['access_token']);
  });
  after(async () => {
    await server?.close();
  });

  it('the authorization server binds the token to the client key (cnf.jkt)', () => {
    assert.deepEqual(decodeJwt(token)['cnf'], { jkt: key.jkt });
  });

  it('the bound token is refused as a bearer token', async () => {
    const response = await callMcp(`Bearer ${token}`);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('the bound token is refused with the DPoP scheme but no proof, or a proof of another key', async () => {
    for (const proof of [undefined, await (await DpopKey.create()).proof({ htu: server.urls.resource, token })]) {
      const response = await callMcp(`DPoP ${token}`, proof);
      assert.equal(response.status, 401, proof === undefined ? 'no proof' : 'another key');
      assert.match(response.headers.get('www-authenticate') ?? '', /DPoP error="invalid_dpop_proof"/);
    }
  });

  it('the bound token with a fresh proof of its key reaches the tool, once per proof', async () => {
    const proof = await key.proof({ htu: server.urls.resource, token });
    const response = await callMcp(`DPoP ${token}`, proof);
    assert.equal(response.status, 200, await response.clone().text());
    assert.match(await response.text(), /ada@example\.com|"subject"/);
    assert.equal((await callMcp(`DPoP ${token}`, proof)).status, 401, 'the same proof again');
  });
});
