import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { authorizationUrl, nativeClientMetadata, registerClient } from '../../helpers/authorize.js';
import { launchBrowser } from '../../helpers/browser.js';
import { visitAuthorization } from '../../helpers/consent.js';
import { EMAIL, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';

/**
 * A name is a claim, and the consent page names the real destination (checklist §4 "Consent scope"). A client
 * registers over real HTTP like an attacker would; a person reads the consent page in Chromium.
 */
const webClient = (name: string, redirectUri: string, extra: Record<string, unknown> = {}) =>
  nativeClientMetadata(redirectUri, { client_name: name, application_type: 'web', ...extra });

describe('attacks: client names and destinations on the consent page', () => {
  let server: AttackServer;
  /** Flags a preset's name on a foreign client instead of refusing it. */
  let flagging: AttackServer;
  let browser: Browser;
  const credentials = { email: EMAIL, password: PASSWORD };

  before(async () => {
    [server, flagging] = await Promise.all([
      startAttackServer({ registrationsPerHour: 1000 }),
      startAttackServer({ registrationsPerHour: 1000, presetNameImitation: 'flag' }),
    ]);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await Promise.all([server?.close(), flagging?.close()]);
  });

  /** The consent page a signed-in person sees for this client and redirect URI (a fresh browser profile each time). */
  async function consentText(on: AttackServer, clientId: string, redirectUri: string): Promise<string> {
    const context = await browser.newContext();
    try {
      const visit = await visitAuthorization(context, authorizationUrl({ server: on, clientId, redirectUri }).url.href, credentials, { stopAtConsent: true });
      assert.ok(visit.consent, `a consent page is shown (the browser went to ${visit.landed.href})`);
      return visit.consent;
    } finally {
      await context.close();
    }
  }

  it("refuses a dynamic registration whose name passes for a preset's while its redirect URIs are not that app's", async () => {
    const names = [
      'Claude Code',
      'claude-code',
      'ＣＬＡＵＤＥ ＣＯＤＥ',
      'Сlaude Сode',
      'C1aude  Code!',
      'Claude',
      'Claude Desktop',
      'ChatGPT',
      'Visual Studio Code',
      'Cursor',
    ];
    for (const name of names) {
      for (const metadata of [webClient(name, 'https://evil.example/cb'), nativeClientMetadata('http://127.0.0.1/steal', { client_name: name })]) {
        const response = await registerClient(server, metadata);
        assert.equal(response.status, 400, `${name} → ${String((metadata['redirect_uris'] as string[])[0])}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body['error'], 'invalid_client_metadata', name);
        assert.match(String(response.body['error_description']), /client_name passes for/, name);
      }
    }
  });

  it("lets a preset's name through when the redirect URIs are that app's, and then shows it plainly", async () => {
    const response = await registerClient(server, nativeClientMetadata('http://127.0.0.1/callback', { client_name: 'Claude Code' }));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const text = await consentText(server, String(response.body['client_id']), 'http://127.0.0.1:5000/callback');
    assert.match(text, /Allow Claude Code to access your account\?/);
    assert.doesNotMatch(text, /unverified/);
  });

  it('a registration cannot claim to be a preset or an operator-made client', async () => {
    const preset = await registerClient(server, webClient('Tool', 'https://tools.example/cb', { gatehouse_preset: 'claude' }));
    assert.equal(preset.status, 400, JSON.stringify(preset.body));
    assert.equal(preset.body['error'], 'invalid_client_metadata');
    const created = await registerClient(server, webClient('Sneaky Tool', 'https://tools.example/cb', { gatehouse_created_at: 1 }));
    assert.equal(created.status, 201, 'unknown metadata is dropped');
    assert.match(await consentText(server, String(created.body['client_id']), 'https://tools.example/cb'), /“Sneaky Tool” \(unverified name\)/);
  });

  it('shows a dynamically registered name as unverified, beside the host it sends the code to', async () => {
    const response = await registerClient(server, webClient('My Tool', 'https://tools.example/cb'));
    assert.equal(response.status, 201);
    const text = await consentText(server, String(response.body['client_id']), 'https://tools.example/cb');
    assert.match(text, /Allow an app calling itself “My Tool” \(unverified name\) to access your account\?/, text);
    assert.ok(text.includes('you will be sent to tools.example'), text);
    assert.ok(text.includes('The app chose the name “My Tool” itself and nothing confirms it: judge it by where it sends you, tools.example.'), text);
  });

  it("shows an operator's pre-registered client by its name, plainly", async () => {
    const record = await server.clients.add({ name: 'Operator App', redirectUris: ['https://operator-app.example/cb'] });
    const text = await consentText(server, record.client_id, 'https://operator-app.example/cb');
    assert.match(text, /Allow Operator App to access your account\?/);
    assert.doesNotMatch(text, /unverified|calling itself/);
  });

  it("with presetNameImitation 'flag', registers the imitation but warns that it may be impersonating the app", async () => {
    const response = await registerClient(flagging, webClient('Claude Code', 'https://evil.example/cb'));
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const text = await consentText(flagging, String(response.body['client_id']), 'https://evil.example/cb');
    assert.match(text, /an app calling itself “Claude Code” \(unverified name\)/);
    assert.match(text, /calls itself by the name of Claude Code, but that app does not send you there: it may be impersonating it/);
    assert.ok(text.includes('you will be sent to evil.example'));
  });

  it('names a private-use scheme redirect by its scheme, never by the "host" written after it', async () => {
    for (const redirectUri of ['com.example.app://claude.ai/cb', 'com.example.app:/cb']) {
      const record = await server.clients.add({ name: 'Scheme App', redirectUris: [redirectUri] });
      const text = await consentText(server, record.client_id, redirectUri);
      assert.ok(text.includes('you will be sent to the app registered for com.example.app:'), `${redirectUri}:\n${text}`);
      assert.doesNotMatch(text, /claude\.ai/, `${redirectUri}: nothing after the scheme is shown`);
    }
  });

  it('names an https redirect by its host and a loopback one as an app on this computer with its port', async () => {
    const https = await server.clients.add({ name: 'Port App', redirectUris: ['https://tools.example:8443/cb'] });
    assert.ok((await consentText(server, https.client_id, 'https://tools.example:8443/cb')).includes('you will be sent to tools.example:8443'));
    const loopback = await server.clients.add({ name: 'Loopback App', redirectUris: ['http://localhost/cb'] });
    const text = await consentText(server, loopback.client_id, 'http://localhost:5002/cb');
    assert.ok(text.includes('you will be sent to an app on this computer (port 5002)'), text);
    assert.doesNotMatch(text, /sent to localhost/);
  });
});
