import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cannedServer, discoveryDocument, type CannedAnswer } from '../helpers/canned-http.js';
import { freePort, runCli } from '../helpers/cli.js';

const ISSUER = 'gatehouse: upstreamIssuer (--upstream-issuer / GATEHOUSE_UPSTREAM_ISSUER)';
const CREDENTIALS = { GATEHOUSE_UPSTREAM_CLIENT_ID: 'app', GATEHOUSE_UPSTREAM_CLIENT_SECRET: 'secret' };

/** `serve` federated with this issuer: it must exit 2 with exactly this one line, nothing on stdout, no stack. */
async function refusedWith(upstream: 'oidc' | 'auth0', issuer: string, line: string | RegExp) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-issuer-'));
  const run = runCli(
    ['serve', '--port', '0', '--data-dir', dataDir, '--mode', 'federated', '--upstream', upstream, '--upstream-issuer', issuer, '--admit-users', 'ada'],
    CREDENTIALS,
  );
  run.child.stdin.end();
  const code = await run.exited;
  assert.equal(code, 2, run.stderr());
  const lines = run.stderr().split('\n');
  assert.equal(lines.pop(), '', 'the line ends');
  assert.equal(lines.length, 1, run.stderr());
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0]!, line);
  assert.equal(run.stdout(), '', 'no log, no banner');
}

/** The same, against a local server giving `answer` at the issuer's discovery URL. */
async function answeredWith(answer: CannedAnswer, line: (origin: string) => string, upstream: 'oidc' | 'auth0' = 'oidc') {
  const server = await cannedServer(answer);
  try {
    await refusedWith(upstream, server.origin, line(server.origin));
  } finally {
    await server.close();
  }
}

const NOT_DISCOVERY = "give the provider's issuer URL, the one whose /.well-known/openid-configuration is its discovery document";

describe('serve --mode federated: a provider whose discovery document cannot be read stops the start with one line', () => {
  it('connection refused (a port nothing listens on)', async () => {
    const port = await freePort();
    await refusedWith(
      'oidc',
      `http://127.0.0.1:${port}`,
      `${ISSUER}: connection refused at http://127.0.0.1:${port}/.well-known/openid-configuration: check the URL (your provider's issuer, e.g. https://login.example.com) and that this machine can reach it`,
    );
  });

  it('JSON that is not a discovery document', async () => {
    await answeredWith(
      { body: '{"hello":"world"}' },
      (origin) =>
        `${ISSUER}: ${origin}/.well-known/openid-configuration is not an OpenID/OAuth discovery document ("issuer" property must be a string): ${NOT_DISCOVERY}`,
    );
  });

  it('a web page instead of JSON, and an HTTP error', async () => {
    await answeredWith(
      { contentType: 'text/html', body: '<html><body>Welcome</body></html>' },
      (origin) =>
        `${ISSUER}: ${origin}/.well-known/openid-configuration did not answer JSON, so it is not an OpenID/OAuth discovery document: ${NOT_DISCOVERY}`,
    );
    await answeredWith(
      { status: 404, contentType: 'text/plain', body: 'not found' },
      (origin) => `${ISSUER}: ${origin}/.well-known/openid-configuration answered HTTP 404, not an OpenID/OAuth discovery document: ${NOT_DISCOVERY}`,
      'auth0',
    );
  });

  it('a discovery document of another issuer names both', async () => {
    await answeredWith(
      { body: discoveryDocument('https://login.other.example') },
      (origin) =>
        `${ISSUER}: ${origin}/.well-known/openid-configuration names the issuer "https://login.other.example", not "${origin}/": give exactly the issuer the provider publishes, e.g. --upstream-issuer https://login.other.example, if that is the provider you mean`,
    );
  });
});
