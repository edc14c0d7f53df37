import type { ErrorHandler, NotFoundHandler } from 'hono';
import type { Logger } from 'pino';
import { StoreUnavailableError } from '../store/contract/store.js';
import { HttpError, NotFoundError, ServerError } from '../util/http-error.js';
import type { Env } from './app-env.js';
import { withCors } from './cors.js';

/** A path nothing serves: the JSON 404. */
export const renderNotFound: NotFoundHandler<Env> = () => new NotFoundError().toResponse();

/**
 * The one place the API, OAuth and MCP endpoints render errors: whatever was thrown, in its own JSON shape —
 * `{ error, error_description }`, or for the MCP transport's refusals (Host, Origin, body) a JSON-RPC error.
 */
export function renderErrors(logger: Logger): ErrorHandler<Env> {
  return (error, c) => {
    // Anything that needed the store while it was unreachable (a rate limiter, a lookup) is a 503, never a 500.
    if (error instanceof StoreUnavailableError) c.set('outcome', 'store_unavailable');
    if (!(error instanceof HttpError)) logger.error({ err: error }, 'unhandled error');
    // The message is for the log only (the client is told the description): the request's line says why.
    c.set('reason', error instanceof HttpError ? error.message : 'unhandled error');
    const response = (error instanceof HttpError ? error : new ServerError()).toResponse();
    const origin = c.get('corsOrigin');
    return origin === undefined ? response : withCors(response, origin);
  };
}
