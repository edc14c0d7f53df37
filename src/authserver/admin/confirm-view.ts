import { html } from '../web/html.js';
import { templatedBody } from '../web/templated-page.js';

export interface ConfirmView {
  /** Where the password form posts `password`, `next` and `csrf`. */
  action: string;
  csrf: string;
  /** Where to go back to after confirming. */
  next: string;
  /** The admin signs in through an identity source only: there is no password to check. */
  noPassword: boolean;
  error?: string;
}

/** Re-authentication before a change: the admin's password, then back to the page to make the change again. */
export const confirmPage = templatedBody<ConfirmView>('admin-confirm', (view) => {
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
});
