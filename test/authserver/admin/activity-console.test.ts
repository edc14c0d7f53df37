import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { PASSWORD, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { captureLogger } from '../../helpers/server.js';
import { accountBrowser, adminBrowser, startWithAdmin, auditEvents, page, textOf } from './console-fixture.js';

describe('the admin console: activity, export and the front page chart', () => {
  let server: EmbeddedTestServer;
  let bea: string;
  let adminId: string;
  before(async () => {
    ({ server, adminId } = await startWithAdmin());
    bea = (await server.accounts.create('bea@example.com', PASSWORD)).id;
    const audit = new AuditLog(server.store, captureLogger().logger);
    for (let i = 0; i < 6; i++) await audit.record({ type: 'tool.called', subject: bea, clientId: 'notes-app', tool: 'whoami', outcome: 'success' });
    await audit.record({ type: 'tool.called', subject: bea, clientId: '=cmd|calc', tool: 'whoami', outcome: 'denied', reason: '@SUM(1+1)' });
    await audit.record({ type: 'login.failed', method: 'password', address: '203.0.113.9', outcome: 'failure' });
  });
  after(async () => server?.close());

  it('lists recent events with filters by type, person, client and time', async () => {
    const { browser } = await adminBrowser(server);
    const rows = (body: string, type: string) => body.split(`<td><code>${type}</code></td>`).length - 1;
    const all = page(await browser.navigate(`${server.urls.issuer}/admin/activity`));
    assert.equal(all.status, 200);
    assert.equal(rows(all.body, 'login.failed'), 1);
    const tools = page(await browser.navigate(`${server.urls.issuer}/admin/activity?type=tool.called&person=bea@example.com&since=1h`)).body;
    assert.equal(rows(tools, 'login.failed'), 0);
    assert.equal(rows(tools, 'tool.called'), 7);
    const byClient = page(await browser.navigate(`${server.urls.issuer}/admin/activity?client=notes-app`)).body;
    assert.equal(rows(byClient, 'tool.called'), 6);
    assert.equal(page(await browser.navigate(`${server.urls.issuer}/admin/activity?since=yesterday`)).status, 400);
  });

  it('exports the filtered events as JSON lines', async () => {
    const { browser } = await adminBrowser(server);
    const response = await browser.request(`${server.urls.issuer}/admin/activity/export?format=jsonl&type=tool.called`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/x-ndjson/);
    assert.match(response.headers.get('content-disposition') ?? '', /attachment/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const lines = (await response.text()).trimEnd().split('\n');
    assert.equal(lines.length, 7);
    for (const line of lines) assert.equal(JSON.parse(line).type, 'tool.called');
    const exported = (await auditEvents(server)).find((e) => e.type === 'audit.exported');
    assert.equal(exported?.actor, adminId, 'the export is on the record');
    assert.match(exported?.reason ?? '', /^jsonl, 7 events, type=tool\.called/);
  });

  it('exports CSV with formula-like cells escaped', async () => {
    const { browser } = await adminBrowser(server);
    const response = await browser.request(`${server.urls.issuer}/admin/activity/export?format=csv&type=tool.called`);
    assert.match(response.headers.get('content-type') ?? '', /text\/csv/);
    const text = await response.text();
    const rows = text.trimEnd().split('\r\n');
    assert.equal(rows.length, 8, 'a header and seven events');
    assert.match(text, /,'=cmd\|calc,/);
    assert.match(text, /,'@SUM\(1\+1\)/);
    assert.doesNotMatch(text, /,[=@+]/);
  });

  it('gives the export to no one but an admin: a sign-in page without a session, 403 to anyone else', async () => {
    const anonymous = await fetch(`${server.urls.issuer}/admin/activity/export?format=csv`);
    assert.match(anonymous.headers.get('content-type') ?? '', /text\/html/);
    assert.doesNotMatch(await anonymous.text(), /notes-app/);
    const bea = await accountBrowser(server, 'bea@example.com');
    const response = await bea.request(`${server.urls.issuer}/admin/activity/export?format=csv`);
    assert.equal(response.status, 403);
    assert.doesNotMatch(await response.text(), /notes-app/);
  });

  it('charts sign-ins, tool calls and refusals as an inline SVG drawn on the server, under the strict CSP', async () => {
    const { front } = await adminBrowser(server);
    assert.equal(front.status, 200);
    const csp = front.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src|unsafe-inline/);
    assert.doesNotMatch(front.body, /<script|<img|<iframe|<link rel="stylesheet"|\sstyle="/i);
    const charts = front.body.match(/<svg class="chart"[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(charts.length, 2, 'the last day and the last week');
    // The last hour holds every event recorded: its point is the chart's highest for tool calls.
    const points = (series: string) =>
      /data-series="([^"]+)"[^>]*points="([^"]+)"/g
        .exec(charts[0]!.slice(charts[0]!.indexOf(`data-series="${series}"`)))![2]!
        .split(' ')
        .map((p) => Number(p.split(',')[1]));
    const tools = points('toolCalls');
    assert.equal(tools.length, 24);
    assert.equal(Math.min(...tools), tools[23], 'the newest hour is the peak (the top of the chart)');
    assert.ok(tools.slice(0, 23).every((y) => y > tools[23]!));
    // Refusals: the failed sign-in and the denied tool call; sign-ins: the admin's own sign-in.
    const totals = textOf(front);
    assert.match(totals, /Tool calls 7 0/);
    assert.match(totals, /Refusals 2 0/);
    assert.match(totals, /Sign-ins \d+ 0/);
  });
});
