import { html, type Html } from '../web/html.js';
import { templatedPage } from '../web/templated-page.js';
import type { ScopeInfo } from '../../resource/auth-mode.js';
import type { ClientIdentity } from '../clients/client-identity.js';
import type { AuditEvent, AuditEventType } from '../../audit/audit-log.js';
import { connectApp } from './connect-app.js';

/** Hidden CSRF field for every form. */
const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

export interface ErrorView {
  /** The OAuth or HTTP error code, e.g. `invalid_request`. */
  error: string;
  description?: string;
}

const errorView = templatedPage<ErrorView>('error', {
  title: () => 'Something went wrong',
  body: (view) => html`<h1>Something went wrong</h1>
<p class="error" role="alert"><strong>${view.error}</strong>${view.description ? html`: ${view.description}` : ''}</p>
<p class="muted">You can close this window and try again from the app.</p>`,
});

export function errorPage(error: string, description?: string): Html {
  return errorView({ error, ...(description && { description }) });
}

export interface NotAdmittedView {
  /** Who the person signed in as at the provider. */
  account: string;
  provider: string;
  /** Whom to ask for access, when the operator said. */
  contact?: string;
  /** A way back to the app, which then learns that access was denied. */
  back?: { action: string; csrf: string };
}

/** The page of a person the admission policy refused: plainly who they are, that they are not admitted, whom to ask. */
export const notAdmittedPage = templatedPage<NotAdmittedView>('not-admitted', {
  title: () => 'Not admitted',
  body: (view) => html`<h1>This server does not admit you</h1>
<p class="error" role="alert">You signed in to ${view.provider} as <strong>${view.account}</strong>. This server does not admit that account, so nothing was saved and no app was given access.</p>
<p>${view.contact ? html`To get access, ask <strong>${view.contact}</strong>.` : 'To get access, ask the person who runs this server.'} If you have another ${view.provider} account that should have access, sign out of ${view.provider} and try again.</p>
${
  view.back
    ? html`<form method="post" action="${view.back.action}">
${csrfField(view.back.csrf)}
<button type="submit" name="decision" value="refused">Return to the app</button>
</form>`
    : ''
}`,
});

/**
 * The app's name as far as it is vouched for (clients/client-identity.ts): plain when the operator made it or a
 * preset's redirect URIs confirm it, with its document's host for a metadata document, and otherwise in quotes
 * and marked unverified.
 */
function appName(client: ClientIdentity): Html {
  if (client.documentHost) return html`<strong>${client.name}</strong> <span class="muted">(from ${client.documentHost})</span>`;
  if (client.verified) return html`<strong>${client.name}</strong>`;
  return html`an app calling itself <strong>“${client.name}”</strong> <span class="muted">(unverified name)</span>`;
}

/** Why an unverified name is no guide, and a louder warning when it passes for a well-known app's. */
function nameWarning(client: ClientIdentity, destination: string): Html {
  if (client.verified) return html``;
  const imitation = client.imitates
    ? html` It calls itself by the name of <strong>${client.imitates.displayName}</strong>, but that app does not send you there: it may be impersonating it.`
    : '';
  return html`<p class="warning" role="note">The app chose the name “${client.name}” itself and nothing confirms it: judge it by where it sends you, <strong>${destination}</strong>.${imitation}</p>`;
}

export interface LoginView {
  action: string;
  csrf: string;
  /** The app asking, when sign-in is part of an authorization. */
  client?: ClientIdentity;
  email?: string;
  error?: string;
  /** The page's heading, which says what the sign-in is for. */
  title: string;
  /** Upstream providers to sign in with, each a button posting `source` to `action`. */
  upstream?: { action: string; sources: readonly { name: string; label: string }[] };
  /** Whether local accounts sign in here with a password. */
  password: boolean;
}

export const loginPage = templatedPage<LoginView>('login', {
  title: (view) => view.title,
  body: (view) => html`<h1>${view.title}</h1>
${view.client ? html`<p>${appName(view.client)} wants to connect to your account.</p>` : ''}
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
${
  view.upstream
    ? html`<form method="post" action="${view.upstream.action}" class="actions">
${csrfField(view.csrf)}
${view.upstream.sources.map((s) => html`<button class="primary" type="submit" name="source" value="${s.name}">Continue with ${s.label}</button>`)}
</form>`
    : ''
}
${view.password === false ? '' : passwordForm(view.action, view.csrf, view.email, !view.upstream)}`,
});

export interface ConsentView {
  action: string;
  csrf: string;
  client: ClientIdentity;
  clientId: string;
  /** Where approving sends the browser, in words (clients/redirect-destination.ts). */
  destination: string;
  /** The client's redirect URIs all point at this machine (a localhost app, or someone impersonating one). */
  localhostOnly: boolean;
  /** The client identified itself with a metadata document at this URL (shown so people can judge it). */
  metadataDocument?: string;
  scopes: readonly ScopeInfo[];
  email: string;
  /** Where to sign in as someone else instead (a consent page of a signed-in browser). */
  switchAccount?: string;
}

/**
 * Where approving sends the browser, set apart and large: the one fact a person can check for themselves. A
 * loopback app is named as one, with why that name vouches for nothing.
 */
function destinationBlock(view: ConsentView, when: string): Html {
  return html`<p class="destination">${when}, you will be sent to <strong class="host">${view.destination}</strong></p>
${view.localhostOnly ? html`<p class="warning" role="note">This app only redirects to this computer. Any program on this computer can claim this name: allow it only if you just started this connection yourself.</p>` : ''}`;
}

/** What the person is approving: who the app says it is, and what it may do, each scope's description first. */
function appDetails(view: ConsentView): Html {
  return html`${view.metadataDocument ? html`<p class="muted">The app identified itself at <code>${view.metadataDocument}</code>.</p>` : ''}
${nameWarning(view.client, view.destination)}
<h2>It will be able to</h2>
<ul class="scopes">${view.scopes.map((s) => html`<li><strong>${s.description}</strong> <code class="muted">${s.name}</code></li>`)}</ul>`;
}

function passwordForm(action: string, csrf: string, email: string | undefined, primary: boolean): Html {
  return html`<form method="post" action="${action}">
${csrfField(csrf)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${email ?? ''}"${primary ? html` autofocus` : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button${primary ? html` class="primary"` : ''} type="submit">Sign in</button>
</form>`;
}

export const consentPage = templatedPage<ConsentView>('consent', {
  title: () => 'Allow access?',
  body: (view) => html`<h1>Allow ${appName(view.client)} to access your account?</h1>
<p class="muted">Signed in as <strong>${view.email}</strong>.${view.switchAccount ? html` <a href="${view.switchAccount}">Use another account</a>` : ''}</p>
${destinationBlock(view, 'After you allow it')}
${appDetails(view)}
<form method="post" action="${view.action}" class="actions">
${csrfField(view.csrf)}
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="muted">You can disconnect it at any time from your account page.</p>`,
});

export interface FederatedLoginView extends ConsentView {
  sources: readonly { name: string; label: string }[];
  /** Offered too when local accounts may sign in. */
  localLogin?: { action: string; error?: string; email?: string };
}

/**
 * Sign-in through upstream providers. The person does not yet have a session here, so this page is the
 * consent: it names the app, where it redirects and what it may do, and choosing a provider approves it.
 */
export const federatedLoginPage = templatedPage<FederatedLoginView>('federated-login', {
  title: () => 'Sign in to allow access',
  body: (view) => html`<h1>Allow ${appName(view.client)} to access your account?</h1>
${destinationBlock(view, 'After you sign in')}
${appDetails(view)}
<form method="post" action="${view.action}" class="actions">
${csrfField(view.csrf)}
${view.sources.map((s) => html`<button class="primary" type="submit" name="source" value="${s.name}">Allow and continue with ${s.label}</button>`)}
<button type="submit" name="decision" value="deny">Deny</button>
</form>
${
  view.localLogin
    ? html`<h2>Or sign in with a password</h2>
${view.localLogin.error ? html`<p class="error" role="alert">${view.localLogin.error}</p>` : ''}
${passwordForm(view.localLogin.action, view.csrf, view.localLogin.email, false)}`
    : ''
}
<p class="muted">You can disconnect it at any time from your account page.</p>`,
});

export interface SetupView {
  action: string;
  csrf: string;
  error?: string;
  email?: string;
}

export const setupPage = templatedPage<SetupView>('setup', {
  title: () => 'Create the first account',
  body: (view) => html`<h1>Create the first account</h1>
<p>This server has no accounts yet. The account you create here can sign in to connect MCP clients.</p>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}">
${csrfField(view.csrf)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${view.email ?? ''}" autofocus>
<label for="password">Password (at least 10 characters)</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required>
<button class="primary" type="submit">Create account</button>
</form>`,
});

export interface SetupLinkView {
  /** The server has an account, so its setup link was spent (rather than mistyped or expired). */
  used: boolean;
  accountPage: string;
}

const USERS_ADD = 'gatehouse users add <email>';

/** A setup link that no longer works: why, and the way on (the account page, or the command its operator runs). */
export const setupLinkPage = templatedPage<SetupLinkView>('setup-link', {
  title: (view) => (view.used ? 'Setup link already used' : 'Setup link not valid'),
  body: (view) =>
    view.used
      ? html`<h1>This setup link was already used</h1>
<p>The first account on this server has been created, and setup links stop working once it exists.</p>
<p>If you created it, sign in on <a href="${view.accountPage}">your account page</a>.</p>
<p>For an account of your own, ask whoever runs this server to create it with <code>${USERS_ADD}</code>.</p>`
      : html`<h1>This setup link does not work</h1>
<p>It may be incomplete, or older than 24 hours.</p>
<p>Whoever runs this server gets a new link by starting it again (it prints one while there is no account yet), or creates the account with <code>${USERS_ADD}</code>.</p>`,
});

export interface ConnectedApp {
  clientId: string;
  clientName: string;
  scopes: string[];
  /** When it was allowed, as people read it (`when`). */
  grantedAt: string;
  /** When it last got a token or called a tool, the same way, or `never`. */
  lastUsedAt: string;
}

/** An event of a person's own recent activity, as the account page words it. */
export interface ActivityEntry {
  at: string;
  /** The event in words: "Signed in", "Tool used"… */
  what: string;
  type: AuditEventType;
  tool?: string;
  /** How the person signed in, when it was not with a password. */
  method?: string;
  /** The app it was about: its name (or its client id when it has none) and its client id. */
  app?: { name: string; clientId: string };
  address?: string;
}

export interface AccountView {
  email: string;
  csrf: string;
  revokeAction: string;
  signOutAction: string;
  apps: readonly ConnectedApp[];
  /** This person's recent security events, newest first. */
  activity: readonly ActivityEntry[];
  /** The MCP URL, for the "Connect an app" section. */
  mcpUrl: string;
  notice?: string;
  /** The admin console's address, for admins. */
  adminConsole?: string;
}

/** How the account page words each event a person sees about themselves. */
const ACTIVITY: Partial<Record<AuditEventType, string>> = {
  'login.succeeded': 'Signed in',
  'login.failed': 'Sign-in refused',
  'setup.completed': 'Account created',
  'consent.granted': 'App allowed',
  'consent.revoked': 'App disconnected',
  'token.issued': 'App connected',
  'token.refreshed': 'App renewed its access',
  'token.revoked': 'App signed out',
  'grant.reuse_detected': 'App access cut off (a token was used twice)',
  'tool.called': 'Tool used',
};

/** A moment as people read it, to the minute, in UTC; `never` for none. */
export const when = (ms: number | undefined) => (ms ? `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC` : 'never');

/** A consent as the pages list it. */
export const connectedApp = (consent: { clientId: string; clientName: string; scopes: string[]; grantedAt: number; lastUsedAt?: number }): ConnectedApp => ({
  clientId: consent.clientId,
  clientName: consent.clientName,
  scopes: consent.scopes,
  grantedAt: when(consent.grantedAt),
  lastUsedAt: when(consent.lastUsedAt),
});

/** Audit events as the account page words them; `names` has each app's name by client id. */
export function activityEntries(events: readonly AuditEvent[], names: ReadonlyMap<string, string>): ActivityEntry[] {
  return events.map((event) => ({
    at: when(event.at),
    what: ACTIVITY[event.type] ?? event.type,
    type: event.type,
    ...(event.tool && { tool: event.tool }),
    ...(event.method && event.method !== 'password' && { method: event.method }),
    ...(event.clientId && { app: { name: names.get(event.clientId) ?? event.clientId, clientId: event.clientId } }),
    ...(event.address && { address: event.address }),
  }));
}

/** The apps connected to one account, each with its access, last use and one action: the account page's and the admin console's. */
export function connectedAppsTable(apps: readonly ConnectedApp[], empty: string, action: (app: ConnectedApp) => Html): Html {
  if (apps.length === 0) return html`<p>${empty}</p>`;
  return html`<table class="stack">
<thead><tr><th scope="col">App</th><th scope="col">Access</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${apps.map(
    (app) => html`<tr>
<td><strong>${app.clientName}</strong><br><code class="muted url">${app.clientId}</code><br><span class="muted when">connected ${app.grantedAt}</span></td>
<td data-label="Access">${app.scopes.map((s) => html`<code>${s}</code> `)}</td>
<td class="when" data-label="Last used">${app.lastUsedAt}</td>
<td>${action(app)}</td>
</tr>`,
  )}</tbody></table>`;
}

/** An app in the activity list: its name, with its client id on hover. */
const activityApp = (app: ActivityEntry['app']) => (app ? html`<span title="${app.clientId}">${app.name}</span>` : '');

export const accountPage = templatedPage<AccountView>('account', {
  title: () => 'Your account',
  wide: true,
  body: (view) => html`<h1>Your account</h1>
<p>Signed in as <strong>${view.email}</strong>.${view.adminConsole ? html` You are an admin: <a href="${view.adminConsole}">open the admin console</a>.` : ''}</p>
${view.notice ? html`<p class="warning" role="status">${view.notice}</p>` : ''}
<h2>Connected apps</h2>
${connectedAppsTable(
  view.apps,
  'No apps are connected to your account.',
  (app) =>
    html`<form method="post" action="${view.revokeAction}">${csrfField(view.csrf)}<input type="hidden" name="client_id" value="${app.clientId}"><button type="submit">Disconnect</button></form>`,
)}
${connectApp(view.mcpUrl, { presets: true })}
<h2>Recent activity</h2>
${
  view.activity.length === 0
    ? html`<p class="muted">Nothing yet.</p>`
    : html`<table class="stack">
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">App</th><th scope="col">From</th></tr></thead>
<tbody>${view.activity.map(
        (event) =>
          html`<tr><td class="when">${event.at}</td><td>${event.what}${event.tool ? html` <code>${event.tool}</code>` : ''}${event.method ? html` <span class="muted">with ${event.method}</span>` : ''}</td><td data-label="App">${activityApp(event.app)}</td><td class="muted" data-label="From">${event.address ?? ''}</td></tr>`,
      )}</tbody></table>`
}
<form method="post" action="${view.signOutAction}">${csrfField(view.csrf)}<button type="submit">Sign out</button></form>`,
});
