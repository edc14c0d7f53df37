import type { PublicUser } from '../people/accounts.js';
import { accountLabel } from '../people/accounts.js';
import type { Consent } from '../people/consents.js';
import { connectedApp, connectedAppsTable, type ConnectedApp } from '../pages/views.js';
import { html } from '../web/html.js';
import { templatedBody } from '../web/templated-page.js';
import { actionButton, when, type ConsoleAction } from './admin-layout.js';

/** A person as the console lists them. */
export interface PersonRow {
  id: string;
  /** Their email, or their identity at a provider, or the id. */
  label: string;
  /** Their own page in the console. */
  href: string;
  disabled: boolean;
  admin: boolean;
  createdAt: string;
  /** Disables them, or enables them again. */
  toggle: ConsoleAction;
}

export interface PeopleListView {
  /** The search form's address: a GET with `q`. */
  searchAction: string;
  query: string;
  csrf: string;
  people: PersonRow[];
}

const status = (user: { disabled: boolean; admin: boolean }) =>
  html`${user.disabled ? html`<strong>disabled</strong>` : 'active'}${user.admin ? ', admin' : ''}`;
const signsInWith = (user: PublicUser) =>
  [...(user.email ? ['password'] : []), ...(user.identities ?? []).map((i) => i.source)].filter((v, i, all) => all.indexOf(v) === i);
const toggle = (at: string, user: PublicUser): ConsoleAction =>
  user.disabled ? { action: `${at}/enable`, label: 'Enable' } : { action: `${at}/disable`, label: 'Disable' };

export function peopleListView(base: string, csrf: string, query: string, people: readonly PublicUser[]): PeopleListView {
  return {
    searchAction: `${base}/people`,
    query,
    csrf,
    people: people.map((user) => ({
      id: user.id,
      label: accountLabel(user),
      href: `${base}/people/${user.id}`,
      disabled: user.disabled,
      admin: user.admin === true,
      createdAt: when(user.createdAt),
      toggle: toggle(`${base}/people/${user.id}`, user),
    })),
  };
}

export const peopleList = templatedBody<PeopleListView>(
  'admin-people',
  (view) => html`<form method="get" action="${view.searchAction}"><label for="q">Search by email, name or account id</label>
<input id="q" name="q" type="search" value="${view.query}"> <button type="submit">Search</button></form>
${
  view.people.length === 0
    ? html`<p>No one matches.</p>`
    : html`<table class="stack">
<thead><tr><th scope="col">Person</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col"><span class="muted">Actions</span></th></tr></thead>
<tbody>${view.people.map(
        (person) => html`<tr>
<td><a href="${person.href}">${person.label}</a><br><code class="muted">${person.id}</code></td>
<td data-label="Status">${status(person)}</td>
<td class="when" data-label="Created">${person.createdAt}</td>
<td>${actionButton(person.toggle.action, view.csrf, person.toggle.label)}</td>
</tr>`,
      )}</tbody></table>`
}`,
);

export interface PersonView {
  id: string;
  label: string;
  disabled: boolean;
  admin: boolean;
  createdAt: string;
  /** `password` and each identity provider they sign in with; empty for none yet. */
  signsInWith: string[];
  csrf: string;
  toggle: ConsoleAction;
  /** Makes a password-reset link, when they have a password. */
  resetLinkAction?: string;
  /** Gives or takes the admin role; absent on the admin's own page (they cannot take their own role here). */
  adminRole?: ConsoleAction;
  /** Removes them; absent on the admin's own page. */
  removeAction?: string;
  /** A password-reset link just made, shown once. */
  resetLink?: string;
  apps: ConnectedApp[];
  /** Disconnects one of their apps: posts `csrf` and `client_id`. */
  revokeAction: string;
}

export interface PersonFacts {
  person: PublicUser;
  hasPassword: boolean;
  apps: readonly Consent[];
  resetLink?: string;
  /** The admin looking is this person. */
  self: boolean;
}

export function personView(base: string, csrf: string, facts: PersonFacts): PersonView {
  const { person } = facts;
  const at = `${base}/people/${person.id}`;
  return {
    id: person.id,
    label: accountLabel(person),
    disabled: person.disabled,
    admin: person.admin === true,
    createdAt: when(person.createdAt),
    signsInWith: signsInWith(person),
    csrf,
    toggle: toggle(at, person),
    ...(facts.hasPassword && { resetLinkAction: `${at}/reset-link` }),
    ...(!facts.self && {
      adminRole: person.admin ? { action: `${at}/revoke-admin`, label: 'Take the admin role' } : { action: `${at}/grant-admin`, label: 'Make admin' },
      removeAction: `${at}/remove`,
    }),
    ...(facts.resetLink && { resetLink: facts.resetLink }),
    apps: facts.apps.map(connectedApp),
    revokeAction: `${at}/revoke`,
  };
}

export const personPage = templatedBody<PersonView>(
  'admin-person',
  (view) => html`<p><code>${view.id}</code> · ${status(view)} · signs in with ${view.signsInWith.join(', ') || 'nothing yet'} · created ${view.createdAt}</p>
${view.resetLink ? html`<p class="warning" role="status">Give this link to ${view.label} (it works once, for 24 hours):<br><code class="url">${view.resetLink}</code></p>` : ''}
<p>
${actionButton(view.toggle.action, view.csrf, view.toggle.label)}
${view.resetLinkAction ? actionButton(view.resetLinkAction, view.csrf, 'Make a password-reset link') : ''}
${view.adminRole ? actionButton(view.adminRole.action, view.csrf, view.adminRole.label) : ''}
${view.removeAction ? actionButton(view.removeAction, view.csrf, 'Remove this person') : ''}
</p>
<h2>Connected apps</h2>
${connectedAppsTable(view.apps, 'No apps are connected to this account.', (app) => actionButton(view.revokeAction, view.csrf, 'Revoke', { client_id: app.clientId }))}`,
);
