import assert from 'node:assert/strict';
import type { EmbeddedOptions } from '../../../src/authserver/embedded.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { authorizationUrl, Browser, leakedSecrets, secretsSeen, type AuthorizationRequest, type AuthorizeOptions, type Step } from '../../helpers/authorize.js';

/** Shared setup of the attack suites: a running embedded server with one person and a web client. */

export const EMAIL = 'ada@example.com';
export { PASSWORD };

/** The web client's only redirect URI (never contacted: the driver stops at the redirect). */
export const APP_REDIRECT = 'https://app.test/cb';

export interface AttackServer extends EmbeddedTestServer {
  /** A pre-registered public web client with redirect `APP_REDIRECT`. */
  app: { clientId: string };
  /** The person's credentials and the app's client, ready to spread into `authorize()`. */
  flow: Pick<AuthorizeOptions, 'server' | 'clientId' | 'redirectUri' | 'email' | 'password'>;
}

export async function startAttackServer(options: EmbeddedOptions = {}): Promise<AttackServer> {
  const server = await startEmbedded(options);
  try {
    await server.accounts.create(EMAIL, PASSWORD);
    const app = await server.clients.add({ name: 'Attack test app', redirectUris: [APP_REDIRECT] });
    return Object.assign(server, {
      app: { clientId: app.client_id },
      flow: { server, clientId: app.client_id, redirectUri: APP_REDIRECT, email: EMAIL, password: PASSWORD },
    });
  } catch (error) {
    await server.close();
    throw error;
  }
}

/**
 * A new pre-registered client with the same redirect URI, which the person has never approved: its flows
 * always show the consent page (an approved client's later flows skip it).
 */
export async function newApp(server: AttackServer, name = 'Another test app'): Promise<AttackServer['flow']> {
  const record = await server.clients.add({ name, redirectUris: [APP_REDIRECT] });
  return { ...server.flow, clientId: record.client_id };
}

/** A13: none of the codes, tokens, passwords or client secrets the suite handled reached the server's logs. */
export function assertNoSecretsLogged(server: AttackServer): void {
  assert.ok(secretsSeen(server).length > 0, 'the suite handled secrets to look for');
  assert.ok(server.logs.length > 0, 'the server logged something');
  assert.deepEqual(leakedSecrets(server), [], 'secrets found in the logs');
}

/** Open an authorization request in a (fresh or given) browser: where it ends, and every hop on the way. */
export async function openAuthorization(request: AuthorizationRequest, browser = new Browser(request.server)): Promise<{ step: Step; browser: Browser }> {
  const step = await browser.navigate(authorizationUrl(request).url);
  return { step, browser };
}

/** A refused authorization request: a 400 HTML error page straight away, with no redirect on the way. */
export function assertErrorPage(opened: { step: Step; browser: Browser }, label: string): void {
  const { step, browser } = opened;
  assert.equal(step.kind, 'page', `${label}: expected an error page, got a redirect to ${step.kind === 'redirect' ? step.location.href : ''}`);
  assert.equal(browser.hops.length, 1, `${label}: answered without redirecting (${browser.hops.map((h) => h.status).join(' → ')})`);
  assert.equal(step.status, 400, `${label}: status`);
  assert.equal(step.headers.get('location'), null, `${label}: no Location header`);
  assert.match(step.headers.get('content-type') ?? '', /^text\/html/, `${label}: an HTML page`);
}

/** An authorization error redirected to the client: the error code, no code, and `iss`. */
export function assertErrorRedirect(step: Step, error: string, issuer: string, label = error): URLSearchParams {
  assert.equal(step.kind, 'redirect', `${label}: expected a redirect with error=${error}, got a page (${step.status})`);
  const params = step.kind === 'redirect' ? new URLSearchParams(step.location.search || step.location.hash.slice(1)) : new URLSearchParams();
  assert.equal(params.get('error'), error, `${label}: error`);
  assert.equal(params.get('code'), null, `${label}: no code`);
  assert.equal(params.get('access_token'), null, `${label}: no token`);
  assert.equal(params.get('iss'), issuer, `${label}: iss`);
  return params;
}
