import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareHandler } from 'hono';
import Mustache from 'mustache';
import { escapeHtml } from '../../util/escape-html.js';

/**
 * The pages an operator's template may replace, each by a file `<name>.html` in the templates directory. Their
 * data is documented in docs/templates.md; `layout` wraps every page's body, `admin` every admin console section
 * (the `admin-…` templates).
 */
export const TEMPLATE_NAMES = [
  'layout',
  'login',
  'federated-login',
  'consent',
  'account',
  'setup',
  'setup-link',
  'reset-password',
  'reset-link',
  'not-admitted',
  'error',
  'landing',
  'admin',
  'admin-overview',
  'admin-people',
  'admin-person',
  'admin-clients',
  'admin-activity',
  'admin-keys',
  'admin-confirm',
] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];
/** A page's template name (every template but the layout). */
export type PageName = Exclude<TemplateName, 'layout'>;

/**
 * The operator's templates, parsed once at start. Every `{{value}}` is escaped with the pages' own escaping
 * (a global `Mustache.escape` set elsewhere in the process cannot change it); only `{{{value}}}` is raw.
 */
export class PageTemplates {
  readonly #writer = new Mustache.Writer();

  constructor(
    readonly sources: ReadonlyMap<TemplateName, string>,
    /** The CSP hashes of the templates' `<style>` elements, allowed on every page beside the built-in styles. */
    readonly styleHashes: readonly string[] = [],
  ) {
    for (const source of sources.values()) this.#writer.parse(source);
  }

  has(name: TemplateName): boolean {
    return this.sources.has(name);
  }

  /** The template `name` rendered with `data`, or `undefined` when the operator gave none (the built-in page then). */
  render(name: TemplateName, data: object): string | undefined {
    const source = this.sources.get(name);
    if (source === undefined) return undefined;
    return this.#writer.render(source, templateData(data), {}, { escape: escapeHtml });
  }
}

/**
 * The view as plain data: objects, arrays, strings, numbers and booleans. Functions are dropped (Mustache would
 * call them) and so are values without a plain form (a Map); an object with a string form of its own (the
 * server-built `Html` of a `body`) becomes that string.
 */
function templateData(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (Array.isArray(value)) return value.map(templateData);
  if (value instanceof Map || value instanceof Set) return undefined;
  if (Object.getPrototypeOf(value) !== Object.prototype && value.toString !== Object.prototype.toString) return String(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const plain = templateData(item);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

// Which templates the page being rendered uses: set per request by `templatePages`, like the brand, so the pages
// rendered inside oidc-provider (its error page) get them too.
const storage = new AsyncLocalStorage<PageTemplates>();

export function currentTemplates(): PageTemplates | undefined {
  return storage.getStore();
}

/** Middleware: render every page of this app with the operator's templates where they gave one. */
export function templatePages(templates: PageTemplates): MiddlewareHandler {
  return (_c, next) => storage.run(templates, next);
}
