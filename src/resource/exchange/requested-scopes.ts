import { type DownstreamRequest, DownstreamTokenError } from '../downstream.js';

/** RFC 6749 §3.3: a scope token is printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The scopes a tool asked for, each checked before anything is sent: a space inside one would smuggle another
 * scope into the request. Duplicates are dropped.
 */
export function checkedScopes(request: DownstreamRequest): string[] {
  const scopes = [...new Set(request.scopes ?? [])];
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      throw new DownstreamTokenError('invalid_scope', `tokenFor(): ${JSON.stringify(scope)} is not a scope (RFC 6749 §3.3)`);
    }
  }
  return scopes;
}
