import { html, page, type Html } from './html.js';
import type { ScopeInfo } from '../auth-mode.js';
import type { AuditEvent, AuditEventType } from '../audit/audit-log.js';

/** Hidden CSRF field for every form. */
const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}">`;

export function errorPage(error: string, description?: string): Html {
  return page(
    'Something went wrong',
    html`<h1>Something went wrong</h1>
<p class="error" role="alert"><strong>${error}</strong>${description ? html`: ${description}` : ''}</p>
<p class="muted">You can close this window and try again from the app.</p>`,
  );
}

export interface LoginView {
  action: string;
  csrf: string;
  clientName?: string;
  email?: string;
  error?: string;
  title?: string;
  /** Upstream providers to sign in with, each a button posting `source` to `action`. */
  upstream?: { action: string; sources: readonly { name: string; label: string }[] };
  /** Whether local accounts sign in here with a password. Default true. */
  password?: boolean;
}

export function loginPage(view: LoginView): Html {
  const title = view.title ?? 'Sign in';
  return page(
    title,
    html`<h1>${title}</h1>
${view.clientName ? html`<p><strong>${view.clientName}</strong> wants to connect to your account.</p>` : ''}
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
${view.upstream
  ? html`<form method="post" action="${view.upstream.action}">
${csrfField(view.csrf)}
${view.upstream.sources.map((s) => html`<button class="primary" type="submit" name="source" value="${s.name}">Continue with ${s.label}</button>`)}
</form>`
  : ''}
${view.password === false ? '' : passwordForm(view.action, view.csrf, view.email, !view.upstream)}`,
  );
}

export interface ConsentView {
  action: string;
  csrf: string;
  clientName: string;
  clientId: string;
  redirectHost: string;
  /** The client's redirect URIs all point at this machine (a localhost app, or someone impersonating one). */
  localhostOnly: boolean;
  /** The client identified itself with a metadata document at this URL (shown so people can judge it). */
  metadataDocument?: string;
  scopes: readonly ScopeInfo[];
  email: string;
  /** Where to sign in as someone else instead (a consent page of a signed-in browser). */
  switchAccount?: string;
}

/** What the person is approving: who the app says it is, whether it only lives on this computer, and what it may do. */
function appDetails(view: ConsentView): Html {
  return html`${view.metadataDocument ? html`<p class="muted">The app identified itself at <code>${view.metadataDocument}</code>.</p>` : ''}
${view.localhostOnly ? html`<p class="warning" role="note">This app only redirects to this computer (<code>${view.redirectHost}</code>). Any program on this computer can claim this name: allow it only if you just started this connection yourself.</p>` : ''}
<p>It will be able to:</p>
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

export function consentPage(view: ConsentView): Html {
  return page(
    'Allow access?',
    html`<h1>Allow <span>${view.clientName}</span> to access your account?</h1>
<p>Signed in as <strong>${view.email}</strong>.${view.switchAccount ? html` <a href="${view.switchAccount}">Use another account</a>` : ''}</p>
<p>After you allow it, you will be sent to <strong>${view.redirectHost}</strong>.</p>
${appDetails(view)}
<form method="post" action="${view.action}">
${csrfField(view.csrf)}
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="muted">You can disconnect it at any time from your account page.</p>`,
  );
}

export interface FederatedLoginView extends ConsentView {
  sources: readonly { name: string; label: string }[];
  /** Offered too when local accounts may sign in. */
  localLogin?: { action: string; error?: string; email?: string };
}

/**
 * Sign-in through upstream providers. The person does not yet have a session here, so this page is the
 * consent: it names the app, where it redirects and what it may do, and choosing a provider approves it.
 */
export function federatedLoginPage(view: FederatedLoginView): Html {
  const local = view.localLogin;
  return page(
    'Sign in to allow access',
    html`<h1>Allow <span>${view.clientName}</span> to access your account?</h1>
<p>After you sign in, you will be sent to <strong>${view.redirectHost}</strong>.</p>
${appDetails(view)}
<form method="post" action="${view.action}">
${csrfField(view.csrf)}
${view.sources.map((s) => html`<button class="primary" type="submit" name="source" value="${s.name}">Allow and continue with ${s.label}</button>`)}
<button type="submit" name="decision" value="deny">Deny</button>
</form>
${local
  ? html`<h2>Or sign in with a password</h2>
${local.error ? html`<p class="error" role="alert">${local.error}</p>` : ''}
${passwordForm(local.action, view.csrf, local.email, false)}`
  : ''}
<p class="muted">You can disconnect it at any time from your account page.</p>`,
  );
}

export interface SetupView {
  action: string;
  csrf: string;
  error?: string;
  email?: string;
}

export function setupPage(view: SetupView): Html {
  return page(
    'Create the first account',
    html`<h1>Create the first account</h1>
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
  );
}

export interface ConnectedApp {
  clientId: string;
  clientName: string;
  scopes: string[];
  grantedAt: number;
  lastUsedAt?: number;
}

export interface AccountView {
  email: string;
  csrf: string;
  revokeAction: string;
  signOutAction: string;
  apps: ConnectedApp[];
  /** This person's recent security events, newest first. */
  activity: readonly AuditEvent[];
  notice?: string;
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

const when = (ms: number | undefined) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'never');

export function accountPage(view: AccountView): Html {
  return page(
    'Your account',
    html`<h1>Your account</h1>
<p>Signed in as <strong>${view.email}</strong>.</p>
${view.notice ? html`<p class="warning" role="status">${view.notice}</p>` : ''}
<h2>Connected apps</h2>
${
  view.apps.length === 0
    ? html`<p>No apps are connected to your account.</p>`
    : html`<table>
<thead><tr><th scope="col">App</th><th scope="col">Access</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${view.apps.map(
        (app) => html`<tr>
<td><strong>${app.clientName}</strong><br><code class="muted">${app.clientId}</code><br><span class="muted">connected ${when(app.grantedAt)}</span></td>
<td>${app.scopes.map((s) => html`<code>${s}</code> `)}</td>
<td>${when(app.lastUsedAt)}</td>
<td><form method="post" action="${view.revokeAction}">${csrfField(view.csrf)}<input type="hidden" name="client_id" value="${app.clientId}"><button type="submit">Disconnect</button></form></td>
</tr>`,
      )}</tbody></table>`
}
<h2>Recent activity</h2>
${
  view.activity.length === 0
    ? html`<p class="muted">Nothing yet.</p>`
    : html`<table>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">App</th><th scope="col">From</th></tr></thead>
<tbody>${view.activity.map(
        (event) => html`<tr><td>${when(event.at)}</td><td>${ACTIVITY[event.type] ?? event.type}${event.tool ? html` <code>${event.tool}</code>` : ''}${event.method && event.method !== 'password' ? html` <span class="muted">with ${event.method}</span>` : ''}</td><td>${event.clientId ? html`<code class="muted">${event.clientId}</code>` : ''}</td><td class="muted">${event.address ?? ''}</td></tr>`,
      )}</tbody></table>`
}
<form method="post" action="${view.signOutAction}">${csrfField(view.csrf)}<button type="submit">Sign out</button></form>`,
  );
}
