import type { Context } from 'hono';
import { pageResponse } from './html.js';
import { errorPage } from './pages.js';
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

/** The answer to a form `singleValuedForm` refused, on an HTML page. */
export function malformedFormPage(): Response {
  return pageResponse(errorPage('invalid_request', 'The form was malformed: each field must be sent once'), 400);
}

/**
 * A form posted by one of our own pages: from our origin (checked before the body is read), well-formed, and
 * carrying the CSRF token bound to `binding` and to this browser. The fields, or the error page to answer with.
 */
export async function postedForm(c: Context, origin: string, csrf: Csrf, binding: string): Promise<Record<string, string> | Response> {
  if (crossSiteReason(c.req.raw.headers, origin)) return pageResponse(errorPage('forbidden', 'This form was posted from another site'), 403);
  const form = await singleValuedForm(c);
  if (!form) return malformedFormPage();
  if (!csrf.valid(c, binding, form['csrf'])) return pageResponse(errorPage('forbidden', 'The form expired; go back, reload the page and try again'), 403);
  return form;
}
