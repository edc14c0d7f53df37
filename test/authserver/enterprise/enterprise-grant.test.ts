import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { EnterpriseIdp } from '../../helpers/enterprise-idp.js';
import { postMcp } from '../../helpers/server.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * In process, with linking on: the IdP's email finds the local account that has it (the e2e test covers linking
 * off), and the token is revocable like any other.
 */
describe('enterprise assertions with --link-by-verified-email', () => {
  let idp: EnterpriseIdp;
  let server: EmbeddedTestServer;
  let client: { client_id: string; client_secret?: string };

  before(async () => {
    idp = await EnterpriseIdp.start();
    server = await startEmbedded({ enterpriseIdps: [idp.url], linkByVerifiedEmail: true });
    client = await server.clients.add({ enterprise: true });
  });
  after(async () => {
    await server?.close();
    await idp?.close();
  });

  const basic = () => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

  async function tokenFor(claims: { sub: string; email: string; emailVerified?: boolean }): Promise<string> {
    const assertion = await idp.idJag({
      aud: server.urls.issuer,
      clientId: client.client_id,
      resource: server.urls.resource,
      sub: claims.sub,
      email: claims.email,
      ...(claims.emailVerified !== undefined && { claims: { email_verified: claims.emailVerified } }),
    });
    const response = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic() },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(body));
    return String(body['access_token']);
  }
  const subjectFor = async (claims: Parameters<typeof tokenFor>[0]) => decodeJwt(await tokenFor(claims));

  it("signs the person in to the local account with the IdP's email", async () => {
    const local = await server.accounts.create('grace@acme.example', PASSWORD);
    const claims = await subjectFor({ sub: 'e-grace', email: 'Grace@acme.example' });
    assert.equal(claims.sub, local.id);
    assert.equal(claims['email'], 'grace@acme.example');
  });

  it('does not link an email the IdP marks unverified', async () => {
    const local = await server.accounts.create('linus@acme.example', PASSWORD);
    const claims = await subjectFor({ sub: 'e-linus', email: 'linus@acme.example', emailVerified: false });
    assert.notEqual(claims.sub, local.id);
    assert.equal(claims['email'], undefined);
  });

  it('issues a token its client can revoke, and that is refused from then on', async () => {
    const token = await tokenFor({ sub: 'e-revoked', email: 'rev@acme.example' });
    assert.equal((await postMcp(server.urls.resource, token)).status, 200);
    const revoked = await fetch(`${server.urls.issuer}/token/revocation`, {
      method: 'POST',
      headers: { authorization: basic() },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    assert.equal(revoked.status, 200);
    assert.equal((await postMcp(server.urls.resource, token)).status, 401);
  });
});
