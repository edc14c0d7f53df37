import type { Context } from 'hono';
import { StoreUnavailableError } from '../../store/contract/store.js';
import { HttpError, type HttpErrorOptions } from '../../util/http-error.js';
import { withContextCookies } from '../people/sessions.js';
import { pageResponse, withRetryAfter } from '../web/html.js';
import { errorPage, notAdmittedPage, type NotAdmittedView } from './views.js';

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
  const content = error instanceof NotAdmittedError ? notAdmittedPage(error.refusal) : errorPage(error.code, error.description);
  return withContextCookies(c, withRetryAfter(pageResponse(content, error.status), error));
}
