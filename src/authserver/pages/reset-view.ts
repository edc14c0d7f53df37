import { html, page, type Html } from '../web/html.js';

export interface ResetPasswordView {
  action: string;
  csrf: string;
  account: string;
  error?: string;
}

/** The page a password-reset link opens: a new password for the account the admin made the link for. */
export function resetPasswordPage(view: ResetPasswordView): Html {
  return page(
    'Choose a new password',
    html`<h1>Choose a new password</h1>
<p>For <strong>${view.account}</strong>. Every browser signed in to this account is signed out; connected apps stay connected.</p>
${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<label for="password">New password (at least 10 characters)</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required autofocus>
<button class="primary" type="submit">Set password</button>
</form>`,
  );
}

/** A reset link that does not work (used, expired or mistyped): whom to ask. */
export function resetLinkInvalidPage(): Html {
  return page(
    'Reset link not valid',
    html`<h1>This password-reset link does not work</h1>
<p>It may have been used already, be older than 24 hours, or be incomplete. Ask an admin of this server for a new one.</p>`,
  );
}
