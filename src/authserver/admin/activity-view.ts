import { html } from '../web/html.js';
import { templatedBody } from '../web/templated-page.js';

/** An audit event as the console lists it. */
export interface ActivityRow {
  at: string;
  /** The audit event's type, such as `login.succeeded`. */
  type: string;
  /** Whom it was about: their email (or the account id of someone removed since). */
  who?: string;
  /** Who did it, when someone else did (an admin). */
  by?: string;
  clientId?: string;
  /** The tool, outcome, sign-in method, reason and address that apply, joined with ` · `. */
  details: string;
}

export interface ActivityView {
  /** The filter form's address: a GET with `type`, `person`, `client` and `since`. */
  filterAction: string;
  /** The filters as given (`since` is `7d` unless given). */
  filters: { type: string; person: string; client: string; since: string };
  /** The event types to filter by, families (`login`, `token`…) first, the one filtered by selected. */
  types: { name: string; selected: boolean }[];
  /** The export's address: add `?format=jsonl` or `?format=csv`, then `&` and `exportFilters`. */
  exportAction: string;
  /** The filters as a query string, for the export to select the same events. */
  exportFilters: string;
  /** At most this many events are listed (the export has every match). */
  shownAtMost: number;
  /** Newest first. */
  events: ActivityRow[];
}

/** Recent events from the audit log, filtered, with links to export the same events. */
export const activityPage = templatedBody<ActivityView>(
  'admin-activity',
  (view) => html`<form method="get" action="${view.filterAction}">
<label for="type">Events</label>
<select id="type" name="type"><option value="">all</option>${view.types.map(
    (t) => html`<option value="${t.name}"${t.selected ? html` selected` : ''}>${t.name}</option>`,
  )}</select>
<label for="person">Person (email or account id)</label><input id="person" name="person" type="text" value="${view.filters.person}">
<label for="client">Client id</label><input id="client" name="client" type="text" value="${view.filters.client}">
<label for="since">Since (30m, 24h, 7d or a date)</label><input id="since" name="since" type="text" value="${view.filters.since}">
<button type="submit">Filter</button>
</form>
<p>Export these events (all of them, not only the ${view.shownAtMost} shown): <a href="${view.exportAction}?format=jsonl&${view.exportFilters}">JSON lines</a> · <a href="${view.exportAction}?format=csv&${view.exportFilters}">CSV</a></p>
${
  view.events.length === 0
    ? html`<p>No matching events.</p>`
    : html`<table class="stack">
<thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">Who</th><th scope="col">Client</th><th scope="col">Details</th></tr></thead>
<tbody>${view.events.map(
        (e) => html`<tr><td class="when">${e.at}</td><td><code>${e.type}</code></td>
<td data-label="Who">${e.who ?? ''}${e.by ? html`<br><span class="muted">by ${e.by}</span>` : ''}</td>
<td data-label="Client">${e.clientId ? html`<code class="url">${e.clientId}</code>` : ''}</td>
<td data-label="Details">${e.details}</td></tr>`,
      )}</tbody></table>`
}`,
);
