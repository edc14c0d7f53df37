import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctor } from '../../src/index.js';
import { type Flaw, startFlawedServer } from './fixtures/flawed-server.js';

async function diagnose(flaw: Flaw) {
  const server = await startFlawedServer(flaw);
  try {
    return await doctor(server.url);
  } finally {
    await server.close();
  }
}

const failed = (report: Awaited<ReturnType<typeof doctor>>) => report.checks.filter((c) => c.status === 'fail');

test('the healthy fixture passes: every flaw below is the only thing wrong with its server', async () => {
  const report = await diagnose('none');
  assert.deepEqual(failed(report), []);
  assert.equal(report.ok, true);
});

/** Each flaw seen in the field, the check that must name it, and words its message must carry. */
const FLAWS: [Flaw, string[], RegExp][] = [
  ['unprotected', ['challenge.status'], /does not ask for authorization/],
  ['no-challenge', ['challenge.present'], /no WWW-Authenticate header/],
  ['resource-mismatch', ['prm.resource-matches'], /resource is http:\/\/localhost:\d+\/other, not http:\/\/localhost:\d+\/mcp/],
  ['issuer-mismatch', ['as.issuer-matches'], /issuer is "http:\/\/localhost:\d+\/", not http:\/\/localhost:\d+ /],
  ['no-s256', ['as.pkce-s256'], /without S256/],
  ['no-pkce-advertised', ['as.pkce-s256'], /code_challenge_methods_supported is missing/],
  ['root-only', ['prm.path-inserted'], /nothing at the path-inserted location/],
  ['offline-access-challenge', ['scopes.offline-access'], /offline_access is in the challenge/],
  ['legacy', ['prm.path-inserted', 'prm.document'], /nothing at the path-inserted location/],
  ['javascript-authorize', ['as.endpoints', 'transport.endpoints-https'], /authorization_endpoint is not an http\(s\) URL: javascript:/],
  ['redirect-to-javascript', ['prm.header-url'], /redirected to a non-http\(s\) URL \(javascript:\)/],
  ['huge-metadata', ['prm.header-url'], /body is over 262144 bytes/],
  ['self-signed', ['transport.certificate', 'challenge.reachable'], /not trusted: DEPTH_ZERO_SELF_SIGNED_CERT/],
];

for (const [flaw, ids, words] of FLAWS) {
  test(`a server with the flaw "${flaw}" fails, and the report names the flaw`, async () => {
    const report = await diagnose(flaw);
    assert.equal(report.ok, false);
    const failures = failed(report);
    assert.deepEqual(
      failures.map((c) => c.id),
      ids,
      JSON.stringify(failures, null, 2),
    );
    assert.match(failures[0]!.message, words);
    for (const failure of failures) assert.ok(failure.fix, `${failure.id} says how to fix it`);
  });
}

test('a 2025-03-26 server is found through the fallback, and the report says so', async () => {
  const report = await diagnose('legacy');
  const metadata = report.checks.find((c) => c.id === 'as.metadata');
  assert.equal(metadata?.status, 'warn');
  assert.match(metadata!.message, /only by the 2025-03-26 fallback/);
});

test('metadata only at the root: the challenge names no metadata, and the root location still serves it', async () => {
  const report = await diagnose('root-only');
  const byId = new Map(report.checks.map((c) => [c.id, c.status]));
  assert.equal(byId.get('challenge.resource-metadata'), 'warn');
  assert.equal(byId.get('prm.root'), 'pass');
});
