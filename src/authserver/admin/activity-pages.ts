import type { Context, Hono } from 'hono';
import { AUDIT_EVENTS, type AuditEvent, type AuditFilter } from '../../audit/audit-log.js';
import { toCsv, toJsonLines } from '../../audit/audit-export.js';
import { InvalidRequestError } from '../../util/http-error.js';
import { sinceTime } from '../../util/since.js';
import { AccountError, accountLabel } from '../people/accounts.js';
import { downloadResponse } from '../web/html.js';
import { when } from './admin-layout.js';
import { activityPage, type ActivityRow } from './activity-view.js';
import type { ConsoleContext } from './console-context.js';

/** The families an admin filters by most; any exact type (`login.failed`) works too. */
const FAMILIES = ['login', 'tool.called', 'consent', 'token', 'client', 'account', 'keys'];
const PAGE_LIMIT = 200;

interface Filters {
  type: string;
  person: string;
  client: string;
  since: string;
}

const filtersOf = (c: Context): Filters => ({
  type: c.req.query('type') ?? '',
  person: c.req.query('person') ?? '',
  client: c.req.query('client') ?? '',
  since: c.req.query('since') ?? '7d',
});

/** An event as the list shows it, people by their names in `names` (by account id). */
function activityRow(e: AuditEvent, names: ReadonlyMap<string, string>): ActivityRow {
  return {
    at: when(e.at),
    type: e.type,
    ...(e.subject && { who: names.get(e.subject) ?? e.subject }),
    ...(e.actor && { by: names.get(e.actor) ?? e.actor }),
    ...(e.clientId && { clientId: e.clientId }),
    details: [e.tool, e.outcome, e.method, e.reason, e.address].filter(Boolean).join(' · '),
  };
}

/** Recent events from the audit log, filtered, and the same events exported as JSON lines or CSV. */
export function mountActivityPages(app: Hono, ctx: ConsoleContext): void {
  const { base, access } = ctx;

  const events = async (filters: Filters, limit: number): Promise<AuditEvent[]> => {
    const query: AuditFilter = { limit };
    if (filters.type) {
      if (!FAMILIES.includes(filters.type) && !(AUDIT_EVENTS as readonly string[]).includes(filters.type)) throw new InvalidRequestError('Unknown event type');
      query.type = filters.type;
    }
    if (filters.since) {
      const since = sinceTime(filters.since);
      if (since === undefined) throw new InvalidRequestError('Since takes a duration like 30m, 12h or 7d, or a date');
      query.since = since;
    }
    if (filters.person) {
      const person = await ctx.accounts.resolve(filters.person).catch((error: unknown) => {
        if (error instanceof AccountError) throw new InvalidRequestError(`No one is known as ${filters.person}`);
        throw error;
      });
      query.subject = person.id;
    }
    if (filters.client) query.clientId = filters.client;
    return ctx.audit.list(query);
  };

  app.get(`${base}/activity`, async (c) => {
    const admin = await access.require(c);
    const filters = filtersOf(c);
    const list = await events(filters, PAGE_LIMIT);
    const names = new Map((await ctx.accounts.list()).map((user) => [user.id, accountLabel(user)]));
    const body = activityPage({
      filterAction: `${base}/activity`,
      filters,
      types: [...FAMILIES, ...AUDIT_EVENTS.filter((t) => !FAMILIES.includes(t))].map((name) => ({ name, selected: name === filters.type })),
      exportAction: `${base}/activity/export`,
      exportFilters: new URLSearchParams(Object.entries(filters).filter(([, v]) => v)).toString(),
      shownAtMost: PAGE_LIMIT,
      events: list.map((e) => activityRow(e, names)),
    });
    return ctx.render(c, admin, { section: 'activity', title: 'Activity' }, body);
  });

  app.get(`${base}/activity/export`, async (c) => {
    const admin = await access.require(c);
    const format = c.req.query('format');
    if (format !== 'jsonl' && format !== 'csv') throw new InvalidRequestError('format is jsonl or csv');
    const filters = filtersOf(c);
    const list = await events(filters, Number.MAX_SAFE_INTEGER);
    // Reading everyone's activity out of the server is an admin action like the others: on the record.
    const selection = Object.entries(filters)
      .filter(([, v]) => v)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    await ctx.audit.record({ type: 'audit.exported', actor: admin.admin.id, reason: `${format}, ${list.length} events${selection ? `, ${selection}` : ''}` });
    const csv = format === 'csv';
    return csv
      ? downloadResponse(toCsv(list), 'text/csv; charset=utf-8', 'gatehouse-audit.csv')
      : downloadResponse(toJsonLines(list), 'application/x-ndjson; charset=utf-8', 'gatehouse-audit.jsonl');
  });
}
