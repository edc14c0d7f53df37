import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { InvalidTokenError, VerifierUnavailableError, introspection } from '../../src/index.js';
import { TestIntrospectionServer } from '../helpers/introspection-server.js';

const RESOURCE = 'http://localhost:9999/mcp';
/** A loopback port nothing listens on (one just given up). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;

describe('introspection verifier (RFC 7662)', () => {
  let as: TestIntrospectionServer;
  before(async () => {
    as = await TestIntrospectionServer.start();
  });
  after(() => as.close());
  beforeEach(() => {
    as.calls = 0;
    as.failWith = undefined;
    as.rawAnswer = undefined;
    as.delayMs = 0;
    as.tokens.clear();
  });

  /** The VerifierUnavailableError a verification failed with: its reason and its message (for the log). */
  const unavailable = async (verifying: Promise<unknown>): Promise<VerifierUnavailableError> => {
    const error = await verifying.then(
      () => assert.fail('the token was accepted'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof VerifierUnavailableError, `unavailable, got ${String(error)}`);
    return error;
  };

  const verifier = (extra: Partial<Parameters<typeof introspection>[0]> = {}) =>
    introspection({ url: as.endpoint, clientId: as.clientId, clientSecret: as.clientSecret, ...extra });

  for (const authMethod of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`authenticates with ${authMethod} and maps the answer`, async () => {
      as.tokens.set('tok-a', { sub: 'ada', aud: RESOURCE, scope: 'read:whoami', exp: inSeconds(300), client_id: 'c1', username: 'ada' });
      const verified = await verifier({ authMethod }).verify('tok-a');
      assert.equal(verified.subject, 'ada');
      assert.deepEqual(verified.scopes, ['read:whoami']);
      assert.equal(verified.clientId, 'c1');
      assert.equal(verified.username, 'ada');
    });
  }

  it('reuses an active answer: ten uses, one introspection call', async () => {
    as.tokens.set('tok-b', { sub: 'bob', aud: RESOURCE, exp: inSeconds(300) });
    const v = verifier();
    for (let i = 0; i < 10; i++) await v.verify('tok-b');
    assert.equal(as.calls, 1);
  });

  it('asks once for many concurrent uses of one token', async () => {
    as.tokens.set('tok-c', { sub: 'cy', aud: RESOURCE, exp: inSeconds(300) });
    const v = verifier();
    await Promise.all(Array.from({ length: 25 }, () => v.verify('tok-c')));
    assert.equal(as.calls, 1);
  });

  it('never caches an inactive answer', async () => {
    const v = verifier();
    await assert.rejects(v.verify('unknown'), InvalidTokenError);
    as.tokens.set('unknown', { sub: 'late', aud: RESOURCE, exp: inSeconds(300) });
    assert.equal((await v.verify('unknown')).subject, 'late');
    assert.equal(as.calls, 2);
  });

  it('stops accepting a revoked token once the cache period ends', async () => {
    as.tokens.set('tok-r', { sub: 'rev', aud: RESOURCE, exp: inSeconds(300) });
    const v = verifier({ cacheMaxSeconds: 1 });
    await v.verify('tok-r');
    as.tokens.delete('tok-r'); // revoked at the authorization server
    assert.equal((await v.verify('tok-r')).subject, 'rev', 'still cached within the period');
    await sleep(1100);
    await assert.rejects(v.verify('tok-r'), InvalidTokenError);
  });

  it('caches no longer than the token lives', async () => {
    // At least a second left when it is first verified (exp is whole seconds), then wait until it has passed.
    const exp = inSeconds(2);
    as.tokens.set('tok-short', { sub: 's', aud: RESOURCE, exp });
    const v = verifier({ cacheMaxSeconds: 3600 });
    await v.verify('tok-short');
    await sleep(exp * 1000 - Date.now() + 100);
    await assert.rejects(v.verify('tok-short'), InvalidTokenError);
    assert.equal(as.calls, 2);
  });

  it('treats endpoint failures as unavailable and caches nothing from them', async () => {
    as.tokens.set('tok-f', { sub: 'f', aud: RESOURCE, exp: inSeconds(300) });
    const v = verifier();
    as.failWith = 500;
    await assert.rejects(v.verify('tok-f'), VerifierUnavailableError);
    as.failWith = undefined;
    assert.equal((await v.verify('tok-f')).subject, 'f');
  });

  it('treats rejected resource-server credentials as unavailable (a configuration problem, not a bad token), and says so', async () => {
    as.tokens.set('tok-g', { sub: 'g', aud: RESOURCE, exp: inSeconds(300) });
    const error = await unavailable(verifier({ clientSecret: 'wrong' }).verify('tok-g'));
    assert.equal(error.reason, 'credentials_rejected');
    assert.match(error.message, /refused this server's credentials \(HTTP 401\): check the client id and secret/);
    assert.doesNotMatch(error.description, /credentials/, 'the client is not told');
  });

  it('tells an error status, a timeout and an answer that is not one apart', async () => {
    as.tokens.set('tok-h', { sub: 'h', aud: RESOURCE, exp: inSeconds(300) });
    as.failWith = 500;
    assert.equal((await unavailable(verifier().verify('tok-h'))).reason, 'error_status');
    as.failWith = undefined;
    for (const raw of ['<html>down for maintenance</html>', '[]', 'null']) {
      as.rawAnswer = raw;
      const error = await unavailable(verifier().verify('tok-h'));
      assert.equal(error.reason, 'malformed_answer', raw);
    }
    as.rawAnswer = undefined;
    as.delayMs = 1_500;
    const slow = await unavailable(verifier({ timeoutSeconds: 1 }).verify('tok-h'));
    assert.equal(slow.reason, 'timeout');
    assert.match(slow.message, /did not answer within 1000 ms/);
  });

  it('refuses refresh tokens, foreign issuers and answers without expiry', async () => {
    as.tokens.set('rt', { sub: 'r', aud: RESOURCE, exp: inSeconds(300), token_type: 'refresh_token' });
    await assert.rejects(verifier().verify('rt'), /Refresh tokens/);
    as.tokens.set('foreign', { sub: 'r', aud: RESOURCE, exp: inSeconds(300), iss: 'https://evil.example' });
    await assert.rejects(verifier({ issuer: 'https://as.example' }).verify('foreign'), /untrusted issuer/);
    as.tokens.set('noexp', { sub: 'r', aud: RESOURCE } as never);
    await assert.rejects(verifier().verify('noexp'), /expiry/);
  });

  it('reports an unreachable endpoint as unavailable, naming it and why', async () => {
    const port = await closedPort();
    const v = introspection({ url: `http://127.0.0.1:${port}/introspect?x=secret`, clientId: 'a', clientSecret: 'b' });
    const error = await unavailable(v.verify('x'));
    assert.equal(error.reason, 'unreachable');
    assert.ok(error.message.includes(`http://127.0.0.1:${port}/introspect could not be reached (ECONNREFUSED)`), error.message);
    assert.doesNotMatch(error.message, /secret/, 'never the query string');
  });
});
