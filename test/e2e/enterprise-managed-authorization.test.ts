import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt, SignJWT } from 'jose';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, runCli } from '../helpers/cli.js';
import { EnterpriseIdp } from '../helpers/enterprise-idp.js';
import { gatehouseCommand, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { makeKey, type SigningKey } from '../helpers/issuer.js';
import { RoundRobin } from '../helpers/round-robin.js';

const REDIS = process.env['GATEHOUSE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ENV = { GATEHOUSE_SECRET: randomBytes(32).toString('base64url') };

interface Credentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Enterprise-managed authorization against two `gatehouse serve` replicas on one Redis: ID-JAGs signed by a local
 * IdP (discovery and JWKS over HTTP) redeemed with the JWT bearer grant, and every way an assertion is refused.
 */
describe('enterprise-managed authorization (ID-JAG)', () => {
  const prefix = `test-enterprise-${randomBytes(4).toString('hex')}`;
  const store = ['--store', REDIS, '--store-prefix', prefix];
  let idp: EnterpriseIdp;
  let untrusted: EnterpriseIdp;
  let replicas: GatehouseProcess[] = [];
  let balancer: RoundRobin;
  let publicUrl: string;
  let resource: string;
  let client: Credentials;
  let other: Credentials;
  let narrow: Credentials;
  let browserClient: Credentials;
  let keyed: Credentials;
  let clientKey: SigningKey;

  async function addClient(args: string[]): Promise<Credentials> {
    const record = JSON.parse(await gatehouseCommand(['clients', 'add', ...args, '--json', ...store], { env: ENV })) as Record<string, string>;
    return { clientId: record['client_id']!, clientSecret: record['client_secret']! };
  }

  /** A token request as an MCP client sends it (the conformance scenario's shape): Basic auth, grant_type, assertion. */
  async function redeem(assertion: string, credentials: Credentials = client, replica = replicas[0]!, extra: Record<string, string> = {}) {
    const response = await fetch(`http://localhost:${replica.port}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion, ...extra }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const jag = (options: Partial<Parameters<EnterpriseIdp['idJag']>[0]> = {}, from = idp) =>
    from.idJag({ aud: publicUrl, clientId: client.clientId, resource, ...options });

  async function whoami(token: string) {
    const mcp = new Client({ name: 'enterprise-test', version: '1' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    const result = await mcp.callTool({ name: 'whoami', arguments: {} });
    await mcp.close();
    return result.structuredContent as Record<string, unknown>;
  }

  async function refused(assertion: string, pattern: RegExp, credentials?: Credentials) {
    const answer = await redeem(assertion, credentials);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body['error'], 'invalid_grant');
    assert.match(String(answer.body['error_description']), pattern);
    assert.equal(answer.body['access_token'], undefined);
  }

  before(async () => {
    idp = await EnterpriseIdp.start();
    untrusted = await EnterpriseIdp.start();
    const frontPort = await freePort();
    publicUrl = `http://localhost:${frontPort}`;
    resource = `${publicUrl}/mcp`;
    client = await addClient(['--enterprise', '--name', 'Acme agent']);
    other = await addClient(['--enterprise']);
    narrow = await addClient(['--enterprise', '--scope', 'read:whoami']);
    clientKey = await makeKey('ES256');
    const jwksFile = join(mkdtempSync(join(tmpdir(), 'gh-enterprise-keys-')), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [clientKey.publicJwk] }));
    keyed = await addClient(['--enterprise', '--name', 'Acme agent with keys', '--jwks-file', jwksFile]);
    browserClient = await addClient(['--confidential', '--redirect-uri', 'https://app.example/callback']);
    // The second IdP is never asked for anything: it shows the flag can be repeated.
    const args = [
      ...store,
      '--public-url',
      publicUrl,
      '--enterprise-idp',
      idp.url,
      '--enterprise-idp',
      'https://idp.example',
      '--required-scopes',
      'mcp:access',
    ];
    replicas = await Promise.all([0, 1].map(() => startGatehouse({ args, env: ENV })));
    balancer = await RoundRobin.start(
      replicas.map((r) => r.port),
      frontPort,
    );
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await balancer?.close();
    await idp?.close();
    await untrusted?.close();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`{${prefix}}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('publishes the JWT bearer grant in its metadata', async () => {
    const metadata = (await (await fetch(`http://localhost:${replicas[0]!.port}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.ok((metadata['grant_types_supported'] as string[]).includes(JWT_BEARER), JSON.stringify(metadata['grant_types_supported']));
  });

  it('accepts an ID-JAG from a client that authenticates with private_key_jwt, and refuses its assertion replayed', async () => {
    assert.equal(keyed.clientSecret, undefined, 'a client with keys gets no secret');
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: clientKey.kid })
      .setIssuer(keyed.clientId)
      .setSubject(keyed.clientId)
      .setAudience(publicUrl)
      .setJti(randomBytes(12).toString('hex'))
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(clientKey.privateKey);
    const redeemWithKey = async (jagValue: string) => {
      const response = await fetch(`http://localhost:${replicas[0]!.port}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: JWT_BEARER,
          assertion: jagValue,
          client_id: keyed.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const answer = await redeemWithKey(await jag({ sub: 'employee-keyed', clientId: keyed.clientId }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(decodeJwt(String(answer.body['access_token']))['client_id'], keyed.clientId);
    const replayed = await redeemWithKey(await jag({ sub: 'employee-keyed', clientId: keyed.clientId }));
    assert.equal(replayed.body['error'], 'invalid_client', JSON.stringify(replayed.body));
  });

  it('names every trusted IdP at start-up', () => {
    const banner = `${replicas[0]!.process.stdout()}${replicas[0]!.process.stderr()}`;
    assert.match(banner, new RegExp(`Enterprise IdPs: +${idp.url.replace(/[.]/g, '\\.')}, https://idp\\.example`));
  });

  it('accepts an ID-JAG for a token that calls whoami as the person, without a consent page', async () => {
    const answer = await redeem(await jag({ sub: 'employee-1', email: 'ada@acme.example' }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['token_type'], 'Bearer');
    assert.equal(answer.body['scope'], 'mcp:access read:whoami');
    assert.equal(answer.body['refresh_token'], undefined);
    const token = String(answer.body['access_token']);
    const claims = decodeJwt(token);
    assert.equal(claims.aud, resource);
    assert.equal(claims['client_id'], client.clientId);

    const me = await whoami(token);
    assert.equal(me['authenticated'], true);
    assert.equal(me['username'], 'ada@acme.example');
    assert.equal(me['clientId'], client.clientId);
    assert.equal(me['subject'], claims.sub);
  });

  it('creates the person once per (IdP, sub) and finds them again on the next assertion', async () => {
    const first = await redeem(await jag({ sub: 'employee-2', email: 'bob@acme.example' }));
    const second = await redeem(await jag({ sub: 'employee-2', email: 'bob@acme.example' }), client, replicas[1]);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const subject = decodeJwt(String(first.body['access_token'])).sub;
    assert.equal(decodeJwt(String(second.body['access_token'])).sub, subject);
    // The same sub at another IdP is another person: it is not trusted here, so it cannot even try.
    const accounts = JSON.parse(await gatehouseCommand(['users', 'list', '--json', ...store], { env: ENV })) as Array<{
      id: string;
      email: string;
      identities?: Array<{ source: string; subject: string; email?: string; emailVerified: boolean }>;
    }>;
    const bobs = accounts.filter((a) => a.identities?.some((i) => i.source === idp.url && i.subject === 'employee-2'));
    assert.deepEqual(
      bobs.map((a) => a.id),
      [subject],
    );
    // Without linking, the email is only a label: not the account's email, not vouched for.
    assert.equal(bobs[0]!.email, '');
    assert.equal(bobs[0]!.identities![0]!.email, 'bob@acme.example');
    assert.equal(bobs[0]!.identities![0]!.emailVerified, false);
  });

  it('narrows the scopes to what the client may have', async () => {
    const answer = await redeem(await jag({ clientId: narrow.clientId, scope: 'mcp:access read:whoami' }), narrow);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['scope'], 'read:whoami');
    assert.equal(decodeJwt(String(answer.body['access_token']))['scope'], 'read:whoami');
  });

  it('carries only the scopes the assertion grants', async () => {
    const answer = await redeem(await jag({ scope: 'read:whoami admin:everything' }));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['scope'], 'read:whoami');
  });

  it('refuses a replay, on another replica too', async () => {
    const assertion = await jag();
    assert.equal((await redeem(assertion, client, replicas[0])).status, 200);
    const again = await redeem(assertion, client, replicas[1]);
    assert.equal(again.status, 400, JSON.stringify(again.body));
    assert.equal(again.body['error'], 'invalid_grant');
    assert.match(String(again.body['error_description']), /already redeemed/);
  });

  it('refuses the same assertion sent to both replicas at once, but one', async () => {
    const assertion = await jag();
    const answers = await Promise.all(replicas.flatMap((replica) => [redeem(assertion, client, replica), redeem(assertion, client, replica)]));
    assert.equal(answers.filter((a) => a.status === 200).length, 1, JSON.stringify(answers));
  });

  it('refuses a JWT that is not an ID-JAG (wrong typ)', async () => {
    await refused(await jag({ typ: 'JWT' }), /not an ID-JAG.*oauth-id-jag\+jwt/);
  });

  it('refuses an assertion for another authorization server', async () => {
    await refused(await jag({ aud: 'https://other-as.example' }), new RegExp(`audience ${publicUrl}`));
  });

  it("refuses another client's assertion", async () => {
    await refused(await jag({ clientId: other.clientId }), new RegExp(`issued to the client "${other.clientId}"`));
  });

  it('refuses an untrusted issuer', async () => {
    await refused(await jag({}, untrusted), /does not trust/);
  });

  it('refuses a bad signature', async () => {
    const forger = await makeKey('ES256');
    await refused(await jag({ key: { ...forger, kid: idp.key.kid } }), /signature does not verify/);
  });

  it('refuses an expired assertion', async () => {
    await refused(await jag({ expiresIn: -120 }), /expired/);
  });

  it('refuses an assertion for another resource', async () => {
    await refused(await jag({ resource: 'https://elsewhere.example/mcp' }), /not this server/);
  });

  it('refuses a client not registered for the enterprise grant', async () => {
    const answer = await redeem(await jag({ clientId: browserClient.clientId }), browserClient);
    assert.equal(answer.status, 400, JSON.stringify(answer.body));
    assert.equal(answer.body['error'], 'invalid_request');
    assert.match(String(answer.body['error_description']), /grant type is not allowed/);
  });

  it('records acceptance and each refusal in the audit trail', async () => {
    const events = (await gatehouseCommand(['audit', '--json', '--event', 'assertion', '--limit', '500', ...store], { env: ENV }))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; reason?: string; clientId?: string; subject?: string });
    const accepted = events.filter((e) => e.type === 'assertion.accepted');
    assert.ok(
      accepted.some((e) => e.clientId === client.clientId && e.reason?.includes(idp.url) && e.subject),
      JSON.stringify(accepted),
    );
    const reasons = events.filter((e) => e.type === 'assertion.refused').map((e) => e.reason ?? '');
    for (const refusal of [
      /already redeemed/,
      /not an ID-JAG/,
      /audience/,
      /issued to the client/,
      /does not trust/,
      /signature does not verify/,
      /expired/,
      /grant type is not allowed/,
    ]) {
      assert.ok(
        reasons.some((r) => refusal.test(r)),
        `${refusal} recorded in ${JSON.stringify(reasons)}`,
      );
    }
  });

  it('refuses --enterprise-idp in resource mode as an operator mistake', async () => {
    const run = runCli(['serve', '--mode', 'resource', '--dev-keys', '--enterprise-idp', idp.url]);
    assert.equal(await run.exited, 2);
    assert.match(run.stderr(), /enterpriseIdp \(--enterprise-idp \/ GATEHOUSE_ENTERPRISE_IDP\): needs the built-in authorization server/);
    assert.doesNotMatch(run.stderr(), /\n\s+at /);
  });
});
