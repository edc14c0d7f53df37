import { StoreUnavailableError } from '../../store/contract/store.js';
import { HttpError } from '../../util/http-error.js';
import { pageResponse, withRetryAfter } from '../web/html.js';
import { errorPage } from './views.js';

/**
 * The pages' one place to render errors (their routes' `onError`): what a page handler threw, as the error page
 * with its status and `Retry-After`. A store outage, and anything unexpected, go on to the app, which answers
 * them as it does on every route (JSON 503, 500).
 */
export function renderPageError(error: Error): Response {
  if (!(error instanceof HttpError) || error instanceof StoreUnavailableError) throw error;
  return withRetryAfter(pageResponse(errorPage(error.code, error.description), error.status), error);
}
