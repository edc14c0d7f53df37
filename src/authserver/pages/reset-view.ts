import { html } from '../web/html.js';
import { templatedPage } from '../web/templated-page.js';

export interface ResetPasswordView {
  action: string;
  csrf: string;
  account: string;
  error?: string;
}

/** The page a password-reset link opens: a new password for the account the admin made the link for. */
export const resetPasswordPage = templatedPage<ResetPasswordView>('reset-password', {
  title: () => 'Choose a new password',
  body: (view) => html`<h1>Choose a new password</h1>
<p>For <strong>${view.account}</strong>. Every browser signed in to this account is signed out; connected apps stay connected.</p>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<label for="password">New password (at least 10 characters)</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required autofocus>
<button class="primary" type="submit">Set password</button>
</form>`,
});

/** A reset link that does not work (used, expired or mistyped): whom to ask. */
const resetLinkView = templatedPage<object>('reset-link', {
  title: () => 'Reset link not valid',
  body: () => html`<h1>This password-reset link does not work</h1>
<p>It may have been used already, be older than 24 hours, or be incomplete. Ask an admin of this server for a new one.</p>`,
});

export const resetLinkInvalidPage = () => resetLinkView({});
