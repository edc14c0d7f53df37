import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { entraOnBehalfOf, type SubjectToken } from '../../src/index.js';
import { refusal, useTokenEndpoint } from '../helpers/token-endpoint-server.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = '6731de76-14a6-49ae-97bc-6eba6914391e';
const CLIENT_SECRET = `entra~secret.${randomBytes(12).toString('base64url')}`;
const GRAPH = 'https://graph.microsoft.com';

function subject(): SubjectToken {
  const token = `eyJ0eXAiOiJKV1QifQ.${randomBytes(24).toString('base64url')}.sig`;
  return { token, verified: { subject: 'ada', scopes: ['access_as_user'], audience: [`api://${CLIENT_ID}`], expiresAt: Date.now() / 1000 + 300, claims: {} } };
}

describe("entraOnBehalfOf(): Microsoft Entra ID's on-behalf-of flow", () => {
  const entra = useTokenEndpoint(() => ({
    body: { token_type: 'Bearer', scope: `${GRAPH}/User.Read ${GRAPH}/Mail.Read`, expires_in: 3599, ext_expires_in: 3599, access_token: 'graph-token' },
  }));

  it('posts the jwt-bearer grant with the caller token as the assertion, the secret in the body and qualified scopes', async () => {
    const exchanger = entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authority: entra.url });
    const caller = subject();
    const token = await exchanger.exchange(caller, { resource: GRAPH, scopes: ['User.Read', 'Mail.Read', 'offline_access', 'api://other/Notes.Read'] });

    const [request] = entra.requests;
    assert.equal(request!.path, `/${TENANT}/oauth2/v2.0/token`);
    assert.equal(request!.headers.authorization, undefined, 'Entra takes the secret in the body');
    assert.deepEqual(Object.fromEntries(request!.form), {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: caller.token,
      scope: `${GRAPH}/User.Read ${GRAPH}/Mail.Read offline_access api://other/Notes.Read`,
      requested_token_use: 'on_behalf_of',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    assert.equal(token.accessToken, 'graph-token');
    assert.deepEqual(token.scopes, [`${GRAPH}/User.Read`, `${GRAPH}/Mail.Read`]);
    assert.ok(Math.abs(token.expiresAt - (Date.now() / 1000 + 3599)) < 5);
  });

  it("asks for the API's .default permissions when no scope is named", async () => {
    const exchanger = entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authority: entra.url });
    await exchanger.exchange(subject(), { resource: 'api://downstream-api/' });
    assert.equal(entra.requests[0]!.form.get('scope'), 'api://downstream-api/.default');
  });

  it('certificate: a PS256 client assertion naming the certificate, aud the v2.0 token endpoint', async () => {
    const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
    const certificate = randomBytes(600); // stands in for the DER certificate: only its hash is used
    const jwk = { ...(await exportJWK(privateKey)), x5c: [certificate.toString('base64')] };
    const exchanger = entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, privateKey: jwk, authority: entra.url });
    await exchanger.exchange(subject(), { resource: GRAPH, scopes: ['User.Read'] });

    const form = entra.requests[0]!.form;
    assert.equal(form.has('client_secret'), false);
    assert.equal(form.get('client_id'), CLIENT_ID);
    assert.equal(form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const tokenEndpoint = `${entra.url}/${TENANT}/oauth2/v2.0/token`;
    const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion')!, publicKey, {
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      audience: tokenEndpoint,
    });
    assert.equal(protectedHeader.alg, 'PS256');
    assert.equal(protectedHeader['x5t#S256'], createHash('sha256').update(certificate).digest('base64url'));
    assert.ok(typeof payload.jti === 'string' && payload.exp! - payload.iat! <= 60);
    assert.match(exchanger.description, /Entra on-behalf-of at .*\/oauth2\/v2\.0\/token \(certificate\)/);
  });

  it("keeps Entra's error and description: consent needed, interaction required", async () => {
    const exchanger = entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authority: entra.url });
    const caller = subject();
    entra.answer = () => ({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description:
          "AADSTS65001: The user or administrator has not consented to use the application with ID '6731de76' named 'notes'.\r\nTrace ID: 1\r\nCorrelation ID: 2",
        error_codes: [65001],
        suberror: 'consent_required',
      },
    });
    const consent = await refusal(exchanger.exchange(caller, { resource: GRAPH, scopes: ['User.Read'] }));
    assert.equal(consent.code, 'invalid_grant');
    assert.equal(consent.status, 400);
    assert.match(consent.description, /^AADSTS65001: The user or administrator has not consented .* Trace ID: 1 Correlation ID: 2$/);

    entra.answer = () => ({
      status: 400,
      body: { error: 'interaction_required', error_description: 'AADSTS50079: multi-factor authentication is required', claims: '{}' },
    });
    const mfa = await refusal(exchanger.exchange(caller, { resource: GRAPH }));
    assert.equal(mfa.code, 'interaction_required');
    for (const error of [consent, mfa]) {
      assert.ok(!error.message.includes(caller.token!) && !error.message.includes(CLIENT_SECRET));
    }
  });

  it('a 503 from Entra is temporarily_unavailable', async () => {
    entra.answer = () => ({ status: 503, body: '' });
    const exchanger = entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authority: entra.url });
    assert.equal((await refusal(exchanger.exchange(subject(), { resource: GRAPH }))).code, 'temporarily_unavailable');
  });

  describe('options are checked when the exchanger is made', () => {
    it('defaults to the public cloud', () => {
      const exchanger = entraOnBehalfOf({ tenant: 'contoso.onmicrosoft.com', clientId: CLIENT_ID, clientSecret: 'x' });
      assert.match(exchanger.description, /^Entra on-behalf-of at https:\/\/login\.microsoftonline\.com\/contoso\.onmicrosoft\.com\/oauth2\/v2\.0\/token/);
    });
    const cases: Array<[string, () => unknown, RegExp]> = [
      [
        'plain http off loopback',
        () => entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, clientSecret: 'x', authority: 'http://login.example' }),
        /authority "http:\/\/login.example" must use https/,
      ],
      ['a tenant that is not a name', () => entraOnBehalfOf({ tenant: '../common', clientId: CLIENT_ID, clientSecret: 'x' }), /tenant must be/],
      ['no credentials', () => entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID }), /set clientSecret or privateKey/],
    ];
    for (const [what, make, message] of cases) it(what, () => assert.throws(make, message));

    it('a key that does not name its certificate', async () => {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk = await exportJWK(privateKey);
      assert.throws(() => entraOnBehalfOf({ tenant: TENANT, clientId: CLIENT_ID, privateKey: jwk }), /privateKey must name its certificate/);
    });
  });
});
