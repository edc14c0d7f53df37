import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditLog, type AuditEvent } from '../../src/audit/audit-log.js';
import { openEmbeddedData } from '../../src/authserver/engine/embedded-data.js';
import { parseSince } from '../../src/cli/audit.js';
import { MemoryStore } from '../../src/store/memory.js';
import {
  authorize,
  Browser,
  callMcp,
  decodeJwt,
  nativeClientMetadata,
  obtainTokens,
  refresh,
  registerClient,
  revoke,
  secretsSeen,
} from '../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { gatehouseCommand } from '../helpers/gatehouse-process.js';
import { callTool } from '../helpers/federated.js';
import { captureLogger } from '../helpers/server.js';

const REDIRECT = 'http://127.0.0.1:43200/callback';
const EMAIL = 'ada@example.com';

describe('the audit trail', () => {
  let server: EmbeddedTestServer;
  let audit: AuditLog;
  let userId: string;
  let clientId: string;

  before(async () => {
    server = await startEmbedded();
    userId = (await server.accounts.create(EMAIL, PASSWORD)).id;
    audit = new AuditLog(server.store, captureLogger().logger);
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Audited app' }));
    clientId = String(registered.body['client_id']);
  });
  after(() => server.close());

  const events = (type?: string) => audit.list({ type, limit: 1000 });

  it('records a dynamic registration, failed and successful sign-ins, consent and the tokens issued', async () => {
    await assert.rejects(authorize({ server, clientId, redirectUri: REDIRECT, email: EMAIL, password: 'not the password' }));
    const { refreshToken } = await obtainTokens({ server, clientId, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD });
    assert.equal((await refresh(server, { client: { clientId }, refreshToken })).status, 200);

    const [registered] = await events('client.registered');
    assert.equal(registered?.clientId, clientId);
    assert.equal(registered?.address, '127.0.0.1');
    const [failed] = await events('login.failed');
    assert.equal(failed?.outcome, 'failure');
    assert.equal(failed?.subject, undefined, 'a failed sign-in names no account (the email may not exist)');
    const [succeeded] = await events('login.succeeded');
    assert.deepEqual([succeeded?.subject, succeeded?.clientId, succeeded?.method], [userId, clientId, 'password']);
    const [consent] = await events('consent.granted');
    assert.deepEqual([consent?.subject, consent?.clientId], [userId, clientId]);
    assert.ok(consent?.grantId);
    const [issued] = await events('token.issued');
    assert.deepEqual([issued?.subject, issued?.clientId, issued?.grantId], [userId, clientId, consent?.grantId]);
    assert.equal((await events('token.refreshed')).length, 1);
  });

  it('records refresh-token reuse with the grant it killed, and revocation', async () => {
    const { refreshToken } = await obtainTokens({ server, clientId, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD });
    const rotated = await refresh(server, { client: { clientId }, refreshToken });
    assert.equal(rotated.status, 200);
    assert.equal((await refresh(server, { client: { clientId }, refreshToken })).status, 400, 'the spent token is refused');
    const [reuse] = await events('grant.reuse_detected');
    assert.equal(reuse?.clientId, clientId);
    assert.equal(reuse?.subject, userId);
    assert.ok(reuse?.grantId, 'the grant it killed');
    assert.match(reuse?.reason ?? '', /refresh_token used twice/);

    const fresh = await obtainTokens({ server, clientId, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD });
    assert.equal((await revoke(server, { client: { clientId }, token: fresh.refreshToken })).status, 200);
    const [revoked] = await events('token.revoked');
    assert.equal(revoked?.clientId, clientId);
  });

  it("records an access token's revocation by its client, and nothing for another client's revocation, which changes nothing", async () => {
    const app = String((await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Revoking app' }))).body['client_id']);
    const stranger = String((await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Stranger app' }))).body['client_id']);
    const revocations = async () => (await events('token.revoked')).filter((e) => e.clientId === app || e.clientId === stranger);

    const first = await obtainTokens({ server, clientId: app, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD });
    assert.equal((await revoke(server, { client: { clientId: stranger }, token: first.accessToken, tokenTypeHint: 'access_token' })).status, 200);
    assert.equal((await callMcp(server, first.accessToken)).status, 200, "the stranger's revocation changed nothing");
    assert.deepEqual(await revocations(), [], "nothing recorded for the stranger's no-op");

    assert.equal((await revoke(server, { client: { clientId: app }, token: first.accessToken, tokenTypeHint: 'access_token' })).status, 200);
    assert.equal((await callMcp(server, first.accessToken)).status, 401, 'revoked');
    const [revoked, ...more] = await revocations();
    assert.deepEqual(more, [], 'one event');
    assert.deepEqual(
      [revoked?.subject, revoked?.clientId, revoked?.grantId, revoked?.address],
      [userId, app, decodeJwt(first.accessToken)['gid'], '127.0.0.1'],
    );
    assert.match(revoked?.reason ?? '', /access token/);
  });

  it('records each tool call: who, which client, which tool, the outcome and how long it took', async () => {
    const { accessToken } = await obtainTokens({ server, clientId, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD });
    await callTool(server, accessToken, 'whoami');
    const [call] = await events('tool.called');
    assert.deepEqual([call?.subject, call?.clientId, call?.tool, call?.outcome], [userId, clientId, 'whoami', 'success']);
    assert.equal(typeof call?.durationMs, 'number');
  });

  it('emits every event as a structured log line too', async () => {
    const lines = server.logs.filter((l) => l.includes('"audit"')).map((l) => JSON.parse(l) as { audit: AuditEvent });
    const types = new Set(lines.map((l) => l.audit.type));
    for (const type of [
      'client.registered',
      'login.failed',
      'login.succeeded',
      'consent.granted',
      'token.issued',
      'token.refreshed',
      'grant.reuse_detected',
      'tool.called',
    ]) {
      assert.ok(types.has(type as AuditEvent['type']), `${type} logged`);
    }
  });

  it('keeps no token, code, secret or password in any event', async () => {
    const stored = JSON.stringify(await events());
    const secrets = [...secretsSeen(server), PASSWORD, 'not the password'];
    assert.ok(secrets.length > 5);
    assert.deepEqual(
      secrets.filter((s) => stored.includes(s)),
      [],
    );
  });

  it('shows a person their own recent activity on the account page', async () => {
    const loaded = await fetch(`${server.urls.issuer}/account`);
    const page = await loaded.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    // The form's token is bound to the browser cookie the page came with.
    const browserCookie = loaded.headers.getSetCookie()[0]!.split(';')[0]!;
    const signedIn = await fetch(`${server.urls.issuer}/account/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(server.urls.issuer).origin, cookie: browserCookie },
      body: new URLSearchParams({ csrf, email: EMAIL, password: PASSWORD }),
      redirect: 'manual',
    });
    assert.equal(signedIn.status, 303);
    const cookie = signedIn.headers
      .getSetCookie()
      .find((c) => /gatehouse_account_[0-9a-f]{8}=/.test(c))!
      .split(';')[0]!;
    const account = await (await fetch(`${server.urls.issuer}/account`, { headers: { cookie } })).text();
    assert.match(account, /Recent activity/);
    assert.match(account, /Signed in/);
    assert.match(account, /App allowed/);
    assert.match(account, new RegExp(clientId));
  });

  it('`gatehouse audit` lists and filters the trail', async () => {
    const all = await gatehouseCommand(['audit', '--data-dir', server.dataDir, '--json', '--limit', '1000']);
    const listed = all
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    assert.ok(listed.length >= 8);
    assert.ok(
      listed.every((e, i) => i === 0 || listed[i - 1]!.at >= e.at),
      'newest first',
    );
    const logins = await gatehouseCommand(['audit', '--data-dir', server.dataDir, '--event', 'login', '--user', EMAIL]);
    assert.ok(
      logins
        .trim()
        .split('\n')
        .every((l) => /login\.(succeeded)/.test(l) && l.includes(`subject=${userId}`)),
      logins,
    );
    const none = await gatehouseCommand(['audit', '--data-dir', server.dataDir, '--since', '2099-01-01']);
    assert.equal(none.trim(), 'no matching events');
  });
});

describe('audit retention and filters', () => {
  it('drops events after the retention period', async () => {
    const audit = new AuditLog(new MemoryStore(), captureLogger().logger, 1 / 86_400);
    await audit.record({ type: 'login.succeeded', subject: 'u1' });
    assert.equal((await audit.list()).length, 1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal((await audit.list()).length, 0);
    assert.equal((await audit.list({ subject: 'u1' })).length, 0);
  });

  it('reads --since as a duration or a date', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    assert.equal(parseSince('30m', now), now - 30 * 60_000);
    assert.equal(parseSince('7d', now), now - 7 * 86_400_000);
    assert.equal(parseSince('2026-11-01', now), Date.parse('2026-11-01'));
    assert.throws(() => parseSince('yesterday', now), /duration like 30m/);
  });
});

describe('audit events of first-user setup and of operators', () => {
  it('records the first account created from the setup link', async () => {
    const server = await startEmbedded();
    try {
      const link = server.notices.join('\n').match(/https?:\/\/\S+\/setup\?token=\S+/)?.[0];
      assert.ok(link, 'a setup link');
      const browser = new Browser(server);
      const page = await browser.navigate(link);
      assert.ok(page.kind === 'page' && page.form);
      const done = await browser.submit(page, { email: 'first@example.com', password: PASSWORD });
      assert.equal(done.kind === 'page' ? done.status : 303, 200);
      const audit = new AuditLog(server.store, captureLogger().logger);
      const [setup] = await audit.list({ type: 'setup.completed' });
      const first = await server.accounts.findByEmail('first@example.com');
      assert.equal(setup?.subject, first?.id);
    } finally {
      await server.close();
    }
  });

  it('records accounts and clients an operator creates and removes with the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-audit-cli-'));
    await gatehouseCommand(['users', 'add', 'op@example.com', '--password-stdin', '--data-dir', dir], { stdin: `${PASSWORD}\n` });
    const added = JSON.parse(
      await gatehouseCommand(['clients', 'add', '--name', 'Ops app', '--redirect-uri', 'https://app.test/cb', '--json', '--data-dir', dir]),
    ) as { client_id: string };
    await gatehouseCommand(['clients', 'remove', added.client_id, '--data-dir', dir]);
    await gatehouseCommand(['users', 'disable', 'op@example.com', '--data-dir', dir]);
    const events = (await gatehouseCommand(['audit', '--json', '--data-dir', dir]))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    assert.deepEqual(events.map((e) => e.type).reverse(), ['account.created', 'client.registered', 'client.removed', 'account.changed']);
    assert.ok(events.every((e) => e.reason?.includes('cli')));
    assert.equal(events.find((e) => e.type === 'client.removed')?.clientId, added.client_id);
  });

  it('keeps what the CLI records for the configured retention, like the server', async () => {
    const keptFor = async (dir: string, settings: string[], env: Record<string, string> = {}) => {
      await gatehouseCommand(['users', 'add', 'keep@example.com', '--password-stdin', '--data-dir', dir, ...settings], { stdin: `${PASSWORD}\n`, env });
      const data = await openEmbeddedData({ dataDir: dir });
      try {
        const [record] = await data.store.list<AuditEvent>('Audit');
        return (record!.expiresAt! - record!.value.at) / 86_400_000;
      } finally {
        await data.store.close();
      }
    };
    const temp = () => mkdtempSync(join(tmpdir(), 'gatehouse-audit-retention-'));
    assert.ok(Math.abs((await keptFor(temp(), [])) - 90) < 0.01, 'the default, 90 days');
    assert.ok(Math.abs((await keptFor(temp(), ['--audit-retention-days', '7'])) - 7) < 0.01, 'the flag');
    assert.ok(Math.abs((await keptFor(temp(), [], { GATEHOUSE_AUDIT_RETENTION_DAYS: '3' })) - 3) < 0.01, 'the environment');
  });
});
