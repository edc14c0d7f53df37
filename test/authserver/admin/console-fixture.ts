import assert from 'node:assert/strict';
import { AuditLog, type AuditEvent } from '../../../src/audit/audit-log.js';
import { Browser, type PageStep, type Step } from '../../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { captureLogger } from '../../helpers/server.js';

export const ADMIN = 'admin@example.com';

/** An embedded server whose one account is ADMIN, an admin who signs in with PASSWORD; and that admin's id. */
export async function startWithAdmin(options: Parameters<typeof startEmbedded>[0] = {}): Promise<{ server: EmbeddedTestServer; adminId: string }> {
  const server = await startEmbedded(options);
  const admin = await server.accounts.create(ADMIN, PASSWORD, { admin: true });
  return { server, adminId: admin.id };
}

/** The page a step ended on (fails the test when it ended on a redirect away). */
export function page(step: Step): PageStep {
  assert.equal(step.kind, 'page', `expected a page, got a redirect to ${step.kind === 'redirect' ? step.location.href : ''}`);
  return step as PageStep;
}

/**
 * Sign in on the console's own form (which counts as a fresh password check) and land on its front page; the
 * session's CSRF token, as the people page carries it.
 */
export async function adminBrowser(server: EmbeddedTestServer, email = ADMIN): Promise<{ browser: Browser; front: PageStep; csrf: string }> {
  const browser = new Browser(server);
  const signIn = page(await browser.navigate(`${server.urls.issuer}/admin`));
  const front = page(await browser.submit(signIn, { email, password: PASSWORD }));
  const csrf = csrfOf(page(await browser.navigate(`${server.urls.issuer}/admin/people`)));
  return { browser, front, csrf };
}

/** Sign in on the account page: a session, but no recent password check for the console. */
export async function accountBrowser(server: EmbeddedTestServer, email: string): Promise<Browser> {
  const browser = new Browser(server);
  const signIn = page(await browser.navigate(`${server.urls.issuer}/account`));
  page(await browser.submit(signIn, { email, password: PASSWORD }));
  return browser;
}

/** The CSRF token on a console page (every form on it carries the session's one token). */
export function csrfOf(step: PageStep): string {
  const token = /name="csrf" value="([^"]+)"/.exec(step.body)?.[1];
  assert.ok(token, `no csrf token on ${step.url.pathname}`);
  return token;
}

/** POST a console form as the page's own origin would. */
export function post(browser: Browser, server: EmbeddedTestServer, path: string, fields: Record<string, string>): Promise<Step> {
  return browser.post(`${server.urls.issuer}${path}`, fields);
}

export async function auditEvents(server: EmbeddedTestServer): Promise<AuditEvent[]> {
  return new AuditLog(server.store, captureLogger().logger).list({ limit: 1000 });
}

/** The page's text as a person reads it. */
export const textOf = (step: PageStep) =>
  step.body
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ');
