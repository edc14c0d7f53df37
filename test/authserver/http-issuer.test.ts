import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { embedded, gatehouse, whoamiTool } from '../../src/index.js';
import { openStore } from '../../src/store/index.js';
import { authorize, Browser } from '../helpers/authorize.js';
import { freePort } from '../helpers/cli.js';
import { captureLogger } from '../helpers/server.js';

const dataDir = () => mkdtempSync(join(tmpdir(), 'gatehouse-http-issuer-'));

/**
 * A browser for which every host name resolves to this machine, as DNS would send `gatehouse.test` to a server
 * on the local network: the requests carry the public host name, and cookies are kept for it.
 */
class LocalNetworkBrowser extends Browser {
  override async request(url: URL | string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...this.options.headers, ...init.headers };
    const cookie = this.jar.header(target);
    if (cookie && headers['cookie'] === undefined) headers['cookie'] = cookie;
    const answer = await new Promise<{ message: IncomingMessage; body: string }>((resolve, reject) => {
      const sent = httpRequest(
        target,
        {
          method: init.method ?? 'GET',
          headers,
          lookup: (_hostname, options, callback) =>
            options.all
              ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }])
              : callback(null, '127.0.0.1', 4),
        },
        (message) => {
          let body = '';
          message.setEncoding('utf8');
          message.on('data', (chunk: string) => (body += chunk));
          message.on('end', () => resolve({ message, body }));
        },
      );
      sent.on('error', reject);
      sent.end(init.body);
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(answer.message.headers)) {
      for (const one of [value ?? []].flat()) responseHeaders.append(name, one);
    }
    for (const setCookie of responseHeaders.getSetCookie()) {
      this.setCookies.push(setCookie);
      this.jar.store(target, setCookie);
    }
    const status = answer.message.statusCode ?? 0;
    this.hops.push({ method: init.method ?? 'GET', url: target, status, headers: responseHeaders });
    return new Response(status === 204 || status === 304 ? null : answer.body, { status, headers: responseHeaders });
  }
}

describe('an authorization server over plain http', () => {
  it('refuses to start on a public http URL: passwords and tokens would cross the network in clear', async () => {
    const { logger } = captureLogger();
    const server = gatehouse({ name: 'http', publicUrl: 'http://mcp.example.com', auth: embedded({ dataDir: dataDir() }), logger }).addTool(whoamiTool);
    await assert.rejects(server.listen(0, '127.0.0.1'), /must be reached over https, not http:\/\/mcp\.example\.com/);
  });

  it('starts only with dangerouslyAllowHttpIssuer, and says so loudly', async () => {
    const { logger, lines } = captureLogger();
    const server = gatehouse({
      name: 'http',
      publicUrl: 'http://mcp.example.com',
      auth: embedded({ dataDir: dataDir(), dangerouslyAllowHttpIssuer: true }),
      logger,
    });
    const running = await server.addTool(whoamiTool).listen(0, '127.0.0.1');
    try {
      assert.ok(lines.some((l) => l.includes('DANGER') && l.includes('plain http')));
    } finally {
      await running.close();
    }
  });

  it('there, its cookies are neither Secure nor __Host- (browsers would drop them), and the start-up warning says so', async () => {
    const { logger, lines } = captureLogger();
    const store = await openStore('memory:');
    const port = await freePort();
    const publicUrl = `http://gatehouse.test:${port}`;
    const running = await gatehouse({ name: 'http', publicUrl, auth: embedded({ dataDir: dataDir(), store, dangerouslyAllowHttpIssuer: true }), logger })
      .addTool(whoamiTool)
      .listen(port, '127.0.0.1');
    try {
      const warning = lines.find((l) => l.includes('DANGER') && l.includes('plain http'));
      assert.ok(warning, 'the loud warning');
      assert.match(warning, /http:\/\/gatehouse\.test/, 'it names the address');
      assert.match(warning, /cookies can be neither Secure nor __Host- prefixed/);

      const email = 'ada@example.com';
      const password = 'correct horse battery staple';
      await new Accounts(store).create(email, password);
      const app = await new ClientRegistry(store).add({ name: 'App', redirectUris: ['https://app.test/cb'] });
      assert.equal(running.urls.issuer, publicUrl);
      const browser = new LocalNetworkBrowser(running);
      // A whole sign-in and consent, then the account page: oidc-provider's cookies and Gatehouse's own.
      const flow = await authorize({ server: running, clientId: app.client_id, redirectUri: 'https://app.test/cb', email, password, browser });
      assert.ok(flow.params.get('code'), 'the flow works over plain http');
      const account = await browser.navigate(`${publicUrl}/account`);
      assert.ok(account.kind === 'page');
      const signedIn = await browser.submit(account, { email, password });
      assert.ok(signedIn.kind === 'page' && signedIn.body.includes('Sign out'), 'signed in on the account page');

      const cookies = browser.setCookies;
      for (const name of ['gatehouse_interaction', 'gatehouse_session', 'gatehouse_csrf', 'gatehouse_account']) {
        assert.ok(
          cookies.some((c) => new RegExp(`^${name}_[0-9a-f]{8}=`).test(c)),
          `${name} set, without the prefix: ${cookies.join(' | ')}`,
        );
      }
      for (const cookie of cookies) {
        const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
        assert.ok(!cookie.startsWith('__Host-') && !cookie.startsWith('__Secure-'), `no prefix: ${cookie}`);
        assert.ok(!attributes.includes('secure'), `not Secure: ${cookie}`);
        assert.ok(attributes.includes('httponly'), `still HttpOnly: ${cookie}`);
        assert.ok(attributes.includes('samesite=lax'), `still SameSite=Lax: ${cookie}`);
      }
    } finally {
      await running.close();
    }
  });

  it('needs nothing for localhost, where nothing crosses a network', async () => {
    const { logger } = captureLogger();
    const running = await gatehouse({ name: 'local', auth: embedded({ dataDir: dataDir() }), logger })
      .addTool(whoamiTool)
      .listen(0, '127.0.0.1');
    await running.close();
  });
});
