import assert from 'node:assert/strict';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { authorizationUrl, Browser } from '../helpers/authorize.js';
import { startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { Canary } from './support.js';

const REDIRECT = 'https://app.test/cb';

/**
 * P9, SSRF through Client ID Metadata Documents: an MCP client's `client_id` may be an https URL that the
 * authorization server fetches. The attacker picks a URL inside the server's network (loopback, link-local cloud
 * metadata, plain http) and opens the authorization URL, hoping the server fetches it for them.
 *
 * A canary listens on loopback (HTTPS on 127.0.0.1 and [::1], plain HTTP on 127.0.0.1) and records every HTTP request.
 * Its certificate is trusted by this test process, so only the server's address guard stands between the
 * fetcher and the canary: the control server, run with `dangerouslyAllowLoopbackClientMetadata`, does reach it.
 */
describe('checklist: P9 SSRF on Client ID Metadata Documents', () => {
  let canary: Canary;
  let guarded: EmbeddedTestServer;

  before(async () => {
    canary = await Canary.start(REDIRECT);
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), canary.certificate]);
    guarded = await startEmbedded();
  });
  after(async () => {
    await guarded?.close();
    await canary?.close();
  });

  /** Open /auth with this client_id in a fresh browser: where it ends. */
  const open = (server: EmbeddedTestServer, clientId: string) => {
    const browser = new Browser(server);
    return browser.navigate(authorizationUrl({ server, clientId, redirectUri: REDIRECT }).url).then((step) => ({ step, browser }));
  };

  const targets = () => ({
    'https://127.0.0.1/…': `https://127.0.0.1:${canary.httpsPort4}/client.json`,
    'https://[::1]/…': `https://[::1]:${canary.httpsPort6}/client.json`,
    'https://localhost/… (a name resolving to loopback)': `https://localhost:${canary.httpsPort4}/client.json`,
    'https://169.254.169.254/… (cloud metadata)': 'https://169.254.169.254/latest/meta-data/client.json',
    'http://… (not https)': `http://127.0.0.1:${canary.httpPort}/client.json`,
  });

  it('P9 internal and non-https client_id URLs are refused at /auth with an error page, and the canary gets no request', async () => {
    const results = await Promise.all(Object.entries(targets()).map(async ([label, clientId]) => ({ label, ...(await open(guarded, clientId)) })));
    for (const { label, step, browser } of results) {
      assert.equal(step.kind, 'page', `${label}: an error page, not a redirect`);
      assert.equal(browser.hops.length, 1, `${label}: answered without redirecting`);
      assert.equal(step.status, 400, `${label}: status`);
      assert.equal(step.headers.get('location'), null, `${label}: no Location`);
      const body = step.kind === 'page' ? step.body : '';
      assert.match(body, /invalid_client/, `${label}: says the client is refused`);
      assert.doesNotMatch(body, /name="password"/, `${label}: no sign-in offered`);
      assert.doesNotMatch(body, /Canary/, `${label}: nothing from a document is shown`);
    }
    assert.deepEqual(canary.requests, [], 'no HTTP request reached the canary');
  });

  it('P9 control: with dangerouslyAllowLoopbackClientMetadata the same loopback URL is fetched (the canary would have seen it)', async () => {
    const dangerous = await startEmbedded({ dangerouslyAllowLoopbackClientMetadata: true });
    try {
      const clientId = targets()['https://127.0.0.1/…'];
      const { step } = await open(dangerous, clientId);
      assert.equal(step.kind, 'page');
      assert.equal(step.status, 200, 'the document was accepted: the sign-in page follows');
      assert.ok(canary.requests.includes(clientId), `the canary saw the fetch (${canary.requests.join(', ')})`);
    } finally {
      await dangerous.close();
    }
  });
});
