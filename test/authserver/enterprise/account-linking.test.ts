import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { EnterpriseIdp } from '../../helpers/enterprise-idp.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** With linking on, the IdP's email finds the local account that has it (the e2e test covers linking off). */
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

  async function subjectFor(claims: { sub: string; email: string; emailVerified?: boolean }) {
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
      headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(response.status, 200, JSON.stringify(body));
    return decodeJwt(String(body['access_token']));
  }

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
});
