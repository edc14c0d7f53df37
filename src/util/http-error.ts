/**
 * The one error model: whoever finds a problem throws one of these, and each surface renders it in one place
 * (JSON for the API and OAuth endpoints, the error page for pages, the challenge for `/mcp`). Modelled on
 * oidc-provider's `helpers/errors.js`: an OAuth error code and a description the client may see, apart from
 * the message, which is for the logs only (it may name a host or a cause no client should learn).
 */
export interface HttpErrorOptions extends ErrorOptions {
  /** What the client is told (`error_description`, or the page's text). Default: the message. Empty: none. */
  description?: string;
  /** Seconds after which trying again may succeed (`Retry-After`, RFC 9110 §10.2.3). */
  retryAfter?: number;
  /** The `WWW-Authenticate` value, for errors of the protected resource (RFC 6750 §3). */
  challenge?: string;
  /** Further headers this error's responses carry (`Pragma: no-cache` where an endpoint always sent it). */
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  readonly description: string;
  readonly retryAfter: number | undefined;
  readonly challenge: string | undefined;
  readonly #headers: Record<string, string> | undefined;

  constructor(
    readonly status: number,
    /** The OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1), or a plain one such as `not_found`. */
    readonly code: string,
    message: string,
    options: HttpErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.description = options.description ?? message;
    this.retryAfter = options.retryAfter;
    this.challenge = options.challenge;
    this.#headers = options.headers;
  }

  /** The headers every rendering carries: errors are never cached (RFC 6749 §5.1), and say when to retry. */
  headers(): Record<string, string> {
    return {
      ...(this.retryAfter !== undefined && { 'Retry-After': String(this.retryAfter) }),
      ...(this.challenge !== undefined && { 'WWW-Authenticate': this.challenge }),
      ...this.#headers,
      'Cache-Control': 'no-store',
    };
  }

  /** The JSON rendering (`{ error, error_description }`), for the API and OAuth endpoints. */
  toResponse(): Response {
    const body = { error: this.code, ...(this.description && { error_description: this.description }) };
    return Response.json(body, { status: this.status, headers: this.headers() });
  }
}

/** 400: the request is malformed or misses something (RFC 6749 §5.2). */
export class InvalidRequestError extends HttpError {
  override readonly name: string = 'InvalidRequestError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(400, 'invalid_request', message, options);
  }
}

/** 403: the token is fine but does not carry the scopes this needs (RFC 6750 §3.1). */
export class InsufficientScopeError extends HttpError {
  override readonly name: string = 'InsufficientScopeError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(403, 'insufficient_scope', message, options);
  }
}

/** 403: refused whoever asks (a cross-site form, an expired CSRF token). */
export class ForbiddenError extends HttpError {
  override readonly name: string = 'ForbiddenError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(403, 'forbidden', message, options);
  }
}

/** 404: nothing here. */
export class NotFoundError extends HttpError {
  override readonly name: string = 'NotFoundError';
  constructor(message = 'not found', options: HttpErrorOptions = { description: '' }) {
    super(404, 'not_found', message, options);
  }
}

/** 429: over a limit; `Retry-After` says when the window resets. */
export class TooManyRequestsError extends HttpError {
  override readonly name: string = 'TooManyRequestsError';
  constructor(message: string, retryAfter: number, options?: Omit<HttpErrorOptions, 'retryAfter'>) {
    super(429, 'too_many_requests', message, { ...options, retryAfter });
  }
}

/** 503: something the server needs cannot answer right now; retry later, never a guess (RFC 6749 §4.1.2.1). */
export class TemporarilyUnavailableError extends HttpError {
  override readonly name: string = 'TemporarilyUnavailableError';
  constructor(message: string, options?: HttpErrorOptions) {
    super(503, 'temporarily_unavailable', message, { retryAfter: 5, ...options });
  }
}

/** 500: our fault; the client learns nothing more. */
export class ServerError extends HttpError {
  override readonly name: string = 'ServerError';
  constructor(message = 'server error', options: HttpErrorOptions = { description: '' }) {
    super(500, 'server_error', message, options);
  }
}

/** JSON-RPC 2.0 error codes the MCP endpoint answers with at the HTTP level (JSON-RPC 2.0 §5.1). */
export const JSON_RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  /** The first of the codes JSON-RPC leaves to servers; the MCP transport refuses a request with it. */
  serverError: -32000,
} as const;

/**
 * A refusal the MCP transport would answer with a JSON-RPC error without id, `{ jsonrpc, error: { code,
 * message }, id: null }`: a foreign Host or Origin, a body too large or unreadable. The message is what the
 * client is told. It carries only the headers given: the transport's own refusals send no `Cache-Control`.
 */
export class JsonRpcHttpError extends HttpError {
  override readonly name: string = 'JsonRpcHttpError';
  readonly #given: Record<string, string>;

  constructor(
    status: number,
    code: string,
    /** The JSON-RPC error code, from {@link JSON_RPC_ERRORS}. */
    readonly jsonRpcCode: number,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(status, code, message);
    this.#given = headers;
  }

  override headers(): Record<string, string> {
    return { ...this.#given };
  }

  override toResponse(): Response {
    const body = { jsonrpc: '2.0', error: { code: this.jsonRpcCode, message: this.description }, id: null };
    return Response.json(body, { status: this.status, headers: this.headers() });
  }
}
