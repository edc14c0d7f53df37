import type { Context } from 'hono';
import { ForbiddenError, InvalidRequestError } from '../../util/http-error.js';
import { crossSiteReason, type Csrf } from './csrf.js';

/**
 * A URL-encoded form body as one value per field. A field given twice, a file, or a body that does not parse is
 * refused (`undefined`): an OAuth request or a sign-in form never has a reason to repeat a field, and picking
 * the first or the last would let two readers of one request disagree.
 */
export async function singleValuedForm(c: Context): Promise<Record<string, string> | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '')) return undefined;
  let body: Record<string, unknown>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') return undefined;
    fields[name] = value;
  }
  return fields;
}

/**
 * A form posted by one of our own pages: from our origin (checked before the body is read), well-formed, and
 * carrying the CSRF token bound to `binding` and to this browser. The fields; throws otherwise.
 */
export async function postedForm(c: Context, origin: string, csrf: Csrf, binding: string): Promise<Record<string, string>> {
  if (crossSiteReason(c.req.raw.headers, origin)) throw new CrossSiteFormError();
  const form = await singleValuedForm(c);
  if (!form) throw new InvalidRequestError('The form was malformed: each field must be sent once');
  if (!csrf.valid(c, binding, form['csrf'])) throw new ForbiddenError('The form expired; go back, reload the page and try again');
  return form;
}

/** A state-changing form posted from another site (or a sandboxed page): refused before its body is read. */
export class CrossSiteFormError extends ForbiddenError {
  override readonly name: string = 'CrossSiteFormError';
  constructor() {
    super('This form was posted from another site');
  }
}
