import type { PublicUser } from '../people/accounts.js';
import { accountLabel } from '../people/accounts.js';
import type { Consent } from '../people/consents.js';
import { connectedApp, connectedAppsTable } from '../pages/views.js';
import { html, type Html } from '../web/html.js';
import { actionButton, when } from './admin-layout.js';

export interface PeopleListView {
  base: string;
  csrf: string;
  query: string;
  people: readonly PublicUser[];
}

const status = (user: PublicUser) => html`${user.disabled ? html`<strong>disabled</strong>` : 'active'}${user.admin ? ', admin' : ''}`;
const signsInWith = (user: PublicUser) =>
  [...(user.email ? ['password'] : []), ...(user.identities ?? []).map((i) => i.source)].filter((v, i, all) => all.indexOf(v) === i).join(', ');

export function peopleList(view: PeopleListView): Html {
  return html`<form method="get" action="${view.base}/people"><label for="q">Search by email, name or account id</label>
<input id="q" name="q" type="search" value="${view.query}"> <button type="submit">Search</button></form>
${
  view.people.length === 0
    ? html`<p>No one matches.</p>`
    : html`<table class="stack">
<thead><tr><th scope="col">Person</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="muted">Actions</span></th></tr></thead>
<tbody>${view.people.map(
        (user) => html`<tr>
<td><a href="${view.base}/people/${user.id}">${accountLabel(user)}</a><br><code class="muted">${user.id}</code></td>
<td data-label="Status">${status(user)}</td>
<td class="when" data-label="Created">${when(user.createdAt)}</td>
<td>${actionButton(`${view.base}/people/${user.id}/${user.disabled ? 'enable' : 'disable'}`, view.csrf, user.disabled ? 'Enable' : 'Disable')}</td>
</tr>`,
      )}</tbody></table>`
}`;
}

export interface PersonView {
  base: string;
  csrf: string;
  person: PublicUser;
  hasPassword: boolean;
  apps: readonly Consent[];
  /** A password-reset link just made, shown once. */
  resetLink?: string;
  /** The admin looking is this person (they cannot take their own role or remove themselves here). */
  self: boolean;
}

export function personPage(view: PersonView): Html {
  const { person, base, csrf } = view;
  const at = `${base}/people/${person.id}`;
  return html`<p><code>${person.id}</code> · ${status(person)} · signs in with ${signsInWith(person) || 'nothing yet'} · created ${when(person.createdAt)}</p>
${view.resetLink ? html`<p class="warning" role="status">Give this link to ${accountLabel(person)} (it works once, for 24 hours):<br><code class="url">${view.resetLink}</code></p>` : ''}
<p>
${actionButton(`${at}/${person.disabled ? 'enable' : 'disable'}`, csrf, person.disabled ? 'Enable' : 'Disable')}
${view.hasPassword ? actionButton(`${at}/reset-link`, csrf, 'Make a password-reset link') : ''}
${view.self ? '' : actionButton(`${at}/${person.admin ? 'revoke-admin' : 'grant-admin'}`, csrf, person.admin ? 'Take the admin role' : 'Make admin')}
${view.self ? '' : actionButton(`${at}/remove`, csrf, 'Remove this person')}
</p>
<h2>Connected apps</h2>
${connectedAppsTable(view.apps.map(connectedApp), 'No apps are connected to this account.', (app) => actionButton(`${at}/revoke`, csrf, 'Revoke', { client_id: app.clientId }))}`;
}

export interface ConfirmView {
  action: string;
  csrf: string;
  /** Where to go back to after confirming. */
  next: string;
  /** The admin signs in through an identity source only: there is no password to check. */
  noPassword: boolean;
  error?: string;
}

/** Re-authentication before a change: the admin's password, then back to the page to make the change again. */
export function confirmPage(view: ConfirmView): Html {
  if (view.noPassword) {
    return html`<p class="warning" role="note">Changes in the console ask for your password again first, and your account signs in only through an identity provider, so it has none to check. Make changes with the <code>gatehouse</code> command on the server, or have a password set for your account with <code>gatehouse users passwd</code>.</p>
<p><a href="${view.next}">Back</a></p>`;
  }
  return html`<p>Changes in the console need your password again (once every 5 minutes). Nothing was changed yet: after confirming, make the change again.</p>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="next" value="${view.next}">
<label for="password">Your password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
<button class="primary" type="submit">Confirm</button>
</form>`;
}
