import { createHash } from 'node:crypto';
import { escapeHtml } from '../../util/escape-html.js';
import { BRAND_COLOR, currentBrand, logoSource, textOn, type PageBrand } from './brand.js';
import { currentTemplates } from './page-templates.js';
import { PAGE_CSS } from './page-style.js';

/**
 * HTML for the interaction and account pages. Every interpolated value is escaped by the `html` tag,
 * so a client name like `<script>` is shown as text; only `Html` values built by this module pass through.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export { escapeHtml };

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ''), ''));
}

const styleHash = (css: string) => `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
const CSS_HASH = styleHash(PAGE_CSS);

/**
 * The brand colour as a CSS custom property, with the text colour that reads on it: a style of its own, hashed
 * into the CSP beside the page's.
 */
function brandStyle(brand: PageBrand): string | undefined {
  if (brand.color === undefined) return undefined;
  // Checked when the brand was set; checked again here because this string goes into CSS unescaped.
  if (!BRAND_COLOR.test(brand.color)) throw new TypeError('brand color must be a CSS hex colour such as #1f5fbf');
  return `:root{--brand:${brand.color};--on-brand:${textOn(brand.color)}}`;
}

function brandHeader(brand: PageBrand): Html | string {
  if (brand.name === undefined && brand.logo === undefined && brand.serverName === undefined) return '';
  const logo = brand.logo !== undefined ? html`<img src="${brand.logo}" alt="${brand.name ?? brand.serverName ?? 'Logo'}">` : '';
  const name = brand.name !== undefined ? html`<strong>${brand.name}</strong>` : '';
  const server = brand.serverName !== undefined && brand.serverName !== brand.name ? html`<span class="muted">${brand.serverName}</span>` : '';
  return html`<header class="brand">${logo}${name}${server}</header>`;
}

function supportFooter(brand: PageBrand): Html | string {
  return brand.supportUrl !== undefined ? html`<footer class="muted"><a href="${brand.supportUrl}">Need help?</a></footer>` : '';
}

/**
 * A page; `wide` for one with tables (the account page), whose columns would wrap in the width of a form.
 * It carries the brand of the request being answered (`brandPages`): header, title, colour and support link;
 * the operator's `layout.html`, when there is one, is the document around the body instead of this one.
 */
export function page(title: string, body: Html, options: { wide?: boolean } = {}): Html {
  const brand = currentBrand();
  const style = brandStyle(brand);
  const titled = brand.name !== undefined && brand.name !== title ? `${title} · ${brand.name}` : title;
  const styles = html`<style>${new Html(PAGE_CSS)}</style>${style !== undefined ? html`<style>${new Html(style)}</style>` : ''}`;
  const layout = currentTemplates()?.render('layout', { title: titled, wide: options.wide === true, brand, styles, body });
  if (layout !== undefined) return new Html(layout);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${titled}</title>
<link rel="icon" href="data:,">
${styles}
</head>
<body><main${options.wide ? html` class="wide"` : ''}>${brandHeader(brand)}${body}${supportFooter(brand)}</main></body>
</html>`;
}

/**
 * The pages' CSP: styles by hash only (ours, the brand colour's, the operator's templates'); images from us and
 * `data:`, plus the brand logo's origin and no other.
 */
function pageCsp(brand: PageBrand): string {
  const style = brandStyle(brand);
  const styles = [CSS_HASH, ...(style === undefined ? [] : [styleHash(style)]), ...(currentTemplates()?.styleHashes ?? [])].join(' ');
  const logo = logoSource(brand);
  const images = logo === undefined || logo === 'data:' ? "'self' data:" : `'self' data: ${logo}`;
  return `default-src 'none'; style-src ${styles}; img-src ${images}; frame-ancestors 'none'; base-uri 'none'`;
}

/**
 * Headers every interaction and account page carries: no framing, no caching, no scripts. The referrer goes to
 * our own origin only (`same-origin`): other sites get none, so the page URL (an interaction id, a setup link)
 * never leaves us, while our own form posts carry `Origin: <ours>` instead of the `null` that `no-referrer` makes
 * browsers send, which the cross-site check could not tell from a hostile sandboxed page.
 */
export function pageHeaders(brand: PageBrand = currentBrand()): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': pageCsp(brand),
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  };
}

export function pageResponse(content: Html, status = 200): Response {
  return new Response(content.value, { status, headers: pageHeaders() });
}

/** A page answering a refusal that says when to try again (a throttled sign-in): its `Retry-After`, RFC 9110 §10.2.3. */
export function withRetryAfter(response: Response, error: { retryAfter?: number | undefined }): Response {
  if (error.retryAfter !== undefined) response.headers.set('Retry-After', String(error.retryAfter));
  return response;
}

/** After a POST, always 303 (never 307/308, which would re-send the credentials to the next hop). */
export function seeOther(location: string): Response {
  return new Response(null, { status: 303, headers: { Location: location, 'Cache-Control': 'no-store' } });
}

/** A file to download from a page (an export): never shown inline, never sniffed, never cached. */
export function downloadResponse(body: string, contentType: string, filename: string): Response {
  return new Response(body, {
    headers: {
      'Content-Type': contentType,
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  });
}
