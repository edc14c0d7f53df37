import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DoctorReport, doctor, jwt, PRESETS } from '../../src/index.js';
import { launchBrowser, signInAndAllow } from '../helpers/browser.js';
import { type EmbeddedTestServer, PASSWORD, startEmbedded } from '../helpers/embedded-server.js';
import { type FederatedTestServer, startGitHubFederated } from '../helpers/federated.js';
import { startServer, type TestServer, useJwtServer } from '../helpers/server.js';

const statusOf = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)?.status;

/** A healthy Gatehouse: nothing fails, and the checks that matter most to a client pass. */
function assertHealthy(report: DoctorReport): void {
  assert.deepEqual(
    report.checks.filter((c) => c.status === 'fail'),
    [],
  );
  assert.equal(report.ok, true);
  for (const id of [
    'challenge.status',
    'challenge.present',
    'challenge.resource-metadata',
    'prm.header-url',
    'prm.path-inserted',
    'prm.root',
    'prm.resource-matches',
    'as.metadata',
    'as.issuer-matches',
    'as.pkce-s256',
    'as.iss-parameter',
    'scopes.challenge',
    'scopes.offline-access',
    'transport.endpoints-https',
    'cors.mcp',
  ]) {
    assert.equal(statusOf(report, id), 'pass', id);
  }
  // A loopback server on plain http: fine here, a warning for anywhere else.
  assert.equal(statusOf(report, 'transport.https'), 'warn');
}

describe('doctor against a healthy Gatehouse', () => {
  let embeddedServer: EmbeddedTestServer;
  let federatedServer: FederatedTestServer;
  let resourceServer: TestServer;
  before(async () => {
    embeddedServer = await startEmbedded();
    federatedServer = await startGitHubFederated();
    // Resource mode, trusting the embedded server as its external authorization server.
    const issuer = embeddedServer.urls.issuer;
    resourceServer = await startServer(jwt({ issuer, jwksUri: `${issuer}/jwks` }), { issuer });
  });
  after(async () => {
    await resourceServer?.close();
    await federatedServer?.close();
    await embeddedServer?.close();
  });

  test('embedded mode: nothing fails', async () => {
    assertHealthy(await doctor(embeddedServer.urls.resource));
  });

  test('federated mode: nothing fails', async () => {
    assertHealthy(await doctor(federatedServer.urls.resource));
  });

  test('resource mode, in front of another authorization server: nothing fails', async () => {
    const report = await doctor(resourceServer.urls.resource);
    assertHealthy(report);
    assert.match(report.checks.find((c) => c.id === 'prm.document')!.message, new RegExp(`names the authorization server ${embeddedServer.urls.issuer}`));
  });

  test('registration is probed only when asked, and then every preset is accepted and named', async () => {
    const registered = async () => (await embeddedServer.store.list('Client')).length;
    const before = await registered();
    const quiet = await doctor(embeddedServer.urls.resource);
    assert.equal(statusOf(quiet, 'registration.presets'), 'skip');
    assert.equal(await registered(), before, 'no client is registered without --register-probe');

    const probed = await doctor(embeddedServer.urls.resource, { registerProbe: true });
    for (const preset of PRESETS) assert.equal(statusOf(probed, `registration.preset.${preset.name}`), 'pass', preset.name);
    // The count above can see a registration: the probe's own clients show in it (this server keeps them).
    assert.equal(await registered(), before + PRESETS.length);
  });
});

describe('doctor --login with a token', () => {
  const fixture = useJwtServer();

  test('a token for this server: its claims match what the server asks for, and tools/list answers', async () => {
    const token = await fixture.issuer.token(fixture.server.urls.resource, { scope: 'read:whoami' });
    const report = await doctor(fixture.server.urls.resource, { login: true, token });
    assert.equal(statusOf(report, 'login.audience'), 'pass');
    assert.equal(statusOf(report, 'login.scopes'), 'pass');
    assert.equal(statusOf(report, 'login.expiry'), 'pass');
    const toolsList = report.checks.find((c) => c.id === 'login.tools-list')!;
    assert.equal(toolsList.status, 'pass', toolsList.message);
    assert.match(toolsList.message, /whoami/);
  });

  test('a token for another resource: the audience check names it, and tools/list is refused', async () => {
    const token = await fixture.issuer.token('https://other.example/mcp');
    const report = await doctor(fixture.server.urls.resource, { login: true, token });
    const audience = report.checks.find((c) => c.id === 'login.audience')!;
    assert.equal(audience.status, 'fail');
    assert.match(audience.message, /audience is https:\/\/other\.example\/mcp, not http:\/\/localhost:\d+\/mcp/);
    assert.equal(statusOf(report, 'login.tools-list'), 'fail');
    assert.equal(report.ok, false);
  });

  test('an expired token, and one without the scope the server asks for, are named', async () => {
    const expired = await fixture.issuer.token(fixture.server.urls.resource, { expiresIn: -120 });
    assert.equal(statusOf(await doctor(fixture.server.urls.resource, { login: true, token: expired }), 'login.expiry'), 'fail');
    const narrow = await fixture.issuer.token(fixture.server.urls.resource, { scope: 'other' });
    const report = await doctor(fixture.server.urls.resource, { login: true, token: narrow });
    assert.equal(statusOf(report, 'login.scopes'), 'warn');
    assert.match(report.checks.find((c) => c.id === 'login.scopes')!.message, /without read:whoami/);
  });

  test('an opaque token: the claims are skipped, tools/list still decides', async () => {
    const report = await doctor(fixture.server.urls.resource, { login: true, token: 'not-a-jwt' });
    assert.equal(statusOf(report, 'login.token-claims'), 'skip');
    assert.equal(statusOf(report, 'login.tools-list'), 'fail');
  });
});

describe('doctor --login without a token: a real sign-in, as gatehouse connect does it', () => {
  test('signs in through the browser, then reads the token and lists the tools', async () => {
    const server = await startEmbedded();
    const browser = await launchBrowser();
    try {
      await server.accounts.create('doctor@example.com', PASSWORD);
      const context = await browser.newContext();
      const page = await context.newPage();
      const report = await doctor(server.urls.resource, {
        login: true,
        signIn: {
          openBrowser: (url) => signInAndAllow(page, url.href, { email: 'doctor@example.com', password: PASSWORD }),
          log: () => {},
        },
      });
      assert.equal(statusOf(report, 'login.sign-in'), 'pass');
      assert.equal(statusOf(report, 'login.audience'), 'pass');
      const toolsList = report.checks.find((c) => c.id === 'login.tools-list')!;
      assert.equal(toolsList.status, 'pass', toolsList.message);
      assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => c.status === 'fail')));
    } finally {
      await browser.close();
      await server.close();
    }
  });

  test('a sign-in that cannot finish is a failed check, not a crash', async () => {
    const server = await startEmbedded();
    try {
      const report = await doctor(server.urls.resource, {
        login: true,
        timeoutMs: 5000,
        // Nobody follows the link: the person declines by closing the loopback wait with a refusal.
        signIn: {
          openBrowser: async (url) => void (await fetch(`${url.searchParams.get('redirect_uri')}?error=access_denied&state=${url.searchParams.get('state')}`)),
          log: () => {},
        },
      });
      const signIn = report.checks.find((c) => c.id === 'login.sign-in')!;
      assert.equal(signIn.status, 'fail');
      assert.match(signIn.message, /signing in failed/);
      assert.equal(report.ok, false);
    } finally {
      await server.close();
    }
  });
});
