import type { Context } from 'hono';
import { StoreUnavailableError } from '../../store/contract/store.js';
import { HttpError, type HttpErrorOptions } from '../../util/http-error.js';
import { withContextCookies } from '../people/sessions.js';
import { pageResponse, withRetryAfter } from '../web/html.js';
import { errorPage, notAdmittedPage, setupLinkPage, type NotAdmittedView, type SetupLinkView } from './views.js';

/** 403: the admission policy refused who signed in upstream; rendered as the page that says so and whom to ask. */
export class NotAdmittedError extends HttpError {
  override readonly name: string = 'NotAdmittedError';
  constructor(
    readonly refusal: NotAdmittedView,
    message: string,
    options?: HttpErrorOptions,
  ) {
    super(403, 'access_denied', message, options);
  }
}

/** 404: a first-user setup link that does not (or no longer) work; rendered as the page that says why and what to do. */
export class SetupLinkError extends HttpError {
  override readonly name: string = 'SetupLinkError';
  constructor(readonly link: SetupLinkView) {
    super(404, 'invalid_link', link.used ? 'The setup link was already used' : 'The setup link is invalid or expired');
  }
}

/**
 * The pages' one place to render errors (their routes' `onError`): what a page handler threw, as the error page
 * with its status and `Retry-After`, keeping the cookies the handler set or cleared before it threw (a used
 * binding cookie is cleared on a refusal too). A store outage, and anything unexpected, go on to the app, which
 * answers them as it does on every route (JSON 503, 500).
 */
export function renderPageError(error: Error, c: Context): Response {
  if (!(error instanceof HttpError) || error instanceof StoreUnavailableError) throw error;
  // The request's log line says why (the page says what the person may read).
  (c as Context<{ Variables: { reason?: string } }>).set('reason', error.message);
  const content =
    error instanceof NotAdmittedError
      ? notAdmittedPage(error.refusal)
      : error instanceof SetupLinkError
        ? setupLinkPage(error.link)
        : errorPage(error.code, error.description);
  return withContextCookies(c, withRetryAfter(pageResponse(content, error.status), error));
}
