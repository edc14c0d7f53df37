import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { freePort } from '../../helpers/cli.js';
import { EnterpriseIdp } from '../../helpers/enterprise-idp.js';
import { verifyIdJag } from '../../../src/authserver/enterprise/id-jag.js';
import { TrustedIdps } from '../../../src/authserver/enterprise/trusted-idps.js';

const AUDIENCE = 'https://mcp.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';
const CLIENT = 'enterprise-client';

interface Refusal {
  error: string;
  error_description: string;
  statusCode: number;
  error_detail?: string;
}

async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  const error = await promise.then(
    () => assert.fail('the assertion was accepted'),
    (e: unknown) => e,
  );
  return error as Refusal;
}

describe('ID-JAG verification', () => {
  let idp: EnterpriseIdp;
  let idps: TrustedIdps;
  const expect = () => ({ idps, audience: AUDIENCE, resources: [RESOURCE], clientId: CLIENT });

  before(async () => {
    idp = await EnterpriseIdp.start();
    idps = new TrustedIdps([idp.url]);
  });
  after(() => idp.close());

  it('reads who, for whom and what from a valid assertion', async () => {
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT, resource: RESOURCE, sub: 'e-7', scope: 'a b', email: 'ada@acme.example' });
    const verified = await verifyIdJag(jag, expect());
    assert.equal(verified.issuer, idp.url);
    assert.equal(verified.subject, 'e-7');
    assert.equal(verified.clientId, CLIENT);
    assert.equal(verified.resource, RESOURCE);
    assert.deepEqual(verified.scopes, ['a', 'b']);
    assert.equal(verified.email, 'ada@acme.example');
  });

  it('takes the media-type spelling of the typ too', async () => {
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT, resource: RESOURCE, typ: 'application/oauth-id-jag+jwt' });
    assert.equal((await verifyIdJag(jag, expect())).clientId, CLIENT);
  });

  it('refuses an assertion that names no resource', async () => {
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT });
    const refused = await refusal(verifyIdJag(jag, expect()));
    assert.equal(refused.error, 'invalid_grant');
    assert.match(refused.error_description, new RegExp(`names no resource.*${RESOURCE}`));
  });

  it('refuses an assertion that lives longer than an hour', async () => {
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT, resource: RESOURCE, expiresIn: 7200 });
    const refused = await refusal(verifyIdJag(jag, expect()));
    assert.equal(refused.error, 'invalid_grant');
    assert.match(refused.error_description, /valid for 7200 seconds.*at most 3600/);
  });

  it('refuses an assertion signed with a shared secret', async () => {
    const jag = await new SignJWT({ client_id: CLIENT, resource: RESOURCE })
      .setProtectedHeader({ alg: 'HS256', typ: 'oauth-id-jag+jwt' })
      .setIssuer(idp.url)
      .setSubject('e-1')
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('j-1')
      .sign(new TextEncoder().encode('a shared secret of at least 32 bytes!'));
    const refused = await refusal(verifyIdJag(jag, expect()));
    assert.equal(refused.error, 'invalid_grant');
    assert.match(refused.error_description, /signed with "HS256"/);
  });

  it('answers temporarily_unavailable (503) while the IdP cannot be reached, and tries again later', async () => {
    const port = await freePort();
    const down = `http://127.0.0.1:${port}`;
    const trusted = new TrustedIdps([down]);
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT, resource: RESOURCE, iss: down });
    const refused = await refusal(verifyIdJag(jag, { ...expect(), idps: trusted }));
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.error, 'temporarily_unavailable');
    assert.match(refused.error_description, /could not be reached/);
    // The cause is for the log: it may name hosts the client should not learn.
    assert.doesNotMatch(refused.error_description, /openid-configuration/);
    assert.match(String(refused.error_detail), /openid-configuration/);
  });

  it('does not use metadata that names another issuer', async () => {
    // The same server under another name: its discovery document says 127.0.0.1, not localhost.
    const alias = idp.url.replace('127.0.0.1', 'localhost');
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT, resource: RESOURCE, iss: alias });
    const refused = await refusal(verifyIdJag(jag, { ...expect(), idps: new TrustedIdps([alias]) }));
    assert.equal(refused.error, 'temporarily_unavailable');
    assert.match(String(refused.error_detail), /names the issuer/);
  });

  it('refuses to trust an IdP over plain http on the network', () => {
    assert.throws(() => new TrustedIdps(['http://idp.example']), /must be an https URL/);
  });

  it('quotes what an untrusted assertion claims, cut short', async () => {
    const jag = await idp.idJag({ aud: AUDIENCE, clientId: CLIENT, resource: RESOURCE, iss: `https://evil.example/${'x'.repeat(5000)}\n` });
    const refused = await refusal(verifyIdJag(jag, expect()));
    assert.match(refused.error_description, /issued by "https:\/\/evil\.example\/x+\.\.\., which this server does not trust/);
    assert.ok(refused.error_description.length < 300);
  });
});
