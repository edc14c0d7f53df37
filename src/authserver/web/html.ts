import { createHash } from 'node:crypto';
import { escapeHtml } from '../../util/escape-html.js';
import { BRAND_COLOR, currentBrand, logoSource, type PageBrand } from './brand.js';
import { currentTemplates } from './page-templates.js';

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

const CSS = `
:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.5}
body{margin:0;display:flex;justify-content:center;padding:3rem 1rem;background:Canvas;color:CanvasText}
main{width:100%;max-width:28rem}main.wide{max-width:50rem}
h1{font-size:1.4rem;margin:0 0 1rem}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}
input[type=email],input[type=password],input[type=text]{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem;border:1px solid GrayText;border-radius:.4rem}
button{font-size:1rem;padding:.55rem 1.1rem;border-radius:.4rem;border:1px solid GrayText;cursor:pointer;margin:.9rem .4rem 0 0}
button.primary{background:var(--brand,#1f5fbf);color:#fff;border-color:var(--brand,#1f5fbf)}
.error{border-left:4px solid #c62828;padding:.4rem .8rem;margin:1rem 0;background:color-mix(in srgb,#c62828 10%,Canvas)}
.warning{border-left:4px solid #b26a00;padding:.4rem .8rem;margin:1rem 0;background:color-mix(in srgb,#b26a00 12%,Canvas)}
.muted{color:GrayText;font-size:.9rem}
ul.scopes{padding-left:1.2rem}ul.scopes li{margin:.3rem 0}
code{font-family:ui-monospace,monospace;font-size:.9em}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid GrayText;vertical-align:top}
.when{white-space:nowrap}code.url{overflow-wrap:anywhere}
form.inline{display:inline}form.inline button{margin:.2rem .3rem .2rem 0;padding:.3rem .7rem;font-size:.9rem}
nav{margin-bottom:1rem}pre{white-space:pre-wrap;overflow-wrap:anywhere;padding:.6rem;border:1px solid GrayText;border-radius:.4rem}
select,input[type=search]{font-size:1rem;padding:.4rem}svg.chart{width:100%;height:auto;max-width:48rem}
header.brand{display:flex;align-items:center;gap:.6rem;margin-bottom:1.2rem;padding-bottom:.6rem;border-bottom:3px solid var(--brand,GrayText)}
header.brand img{max-height:2.5rem;max-width:10rem}footer{margin-top:2rem}
`;
const styleHash = (css: string) => `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
const CSS_HASH = styleHash(CSS);

/** The brand colour as a CSS custom property: a style of its own, hashed into the CSP beside the page's. */
function brandStyle(brand: PageBrand): string | undefined {
  if (brand.color === undefined) return undefined;
  // Checked when the brand was set; checked again here because this string goes into CSS unescaped.
  if (!BRAND_COLOR.test(brand.color)) throw new TypeError('brand color must be a CSS hex colour such as #1f5fbf');
  return `:root{--brand:${brand.color}}`;
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
  const styles = html`<style>${new Html(CSS)}</style>${style !== undefined ? html`<style>${new Html(style)}</style>` : ''}`;
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
