import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareHandler } from 'hono';

/** How every page looks as the operator's own: a name, a logo, a colour and where to get help. */
export interface Brand {
  /** Shown in each page's header and `<title>`, beside the server's name. */
  name?: string;
  /** An https URL, or a `data:image/...` URL (the CLI inlines a logo file as one). */
  logo?: string;
  /** A CSS hex colour such as `#1f5fbf`, for buttons, the header's rule and the admin console's current section. */
  color?: string;
  /** An https or mailto: URL, linked as "Need help?" in each page's footer. */
  supportUrl?: string;
}

/** The brand and the server's name, as the pages show them. */
export interface PageBrand extends Brand {
  serverName?: string;
}

/** Strict: the colour goes into CSS, so only `#rgb` or `#rrggbb` can reach it. */
export const BRAND_COLOR = /^#(?:[0-9a-fA-F]{3}){1,2}$/;
const DATA_LOGO = /^data:image\/(?:png|jpeg|svg\+xml);base64,[A-Za-z0-9+/]+=*$/;

/** Why a brand cannot be shown, or `undefined` when it can. */
export function brandProblem(brand: Brand): string | undefined {
  if (brand.color !== undefined && !BRAND_COLOR.test(brand.color)) return 'brand color must be a CSS hex colour such as #1f5fbf';
  if (brand.logo !== undefined && !DATA_LOGO.test(brand.logo) && !isUrl(brand.logo, ['https:'])) {
    return 'brand logo must be an https URL or a data:image/(png|jpeg|svg+xml);base64 URL';
  }
  if (brand.supportUrl !== undefined && !isUrl(brand.supportUrl, ['https:', 'mailto:'])) return 'support URL must be an https or mailto: URL';
  return undefined;
}

/** The WCAG 2.1 relative luminance of a `#rgb` or `#rrggbb` colour (§1.4.3's definition). */
function luminance(color: string): number {
  const hex = color.length === 4 ? [...color.slice(1)].map((c) => c + c).join('') : color.slice(1);
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

const LIGHT_TEXT = '#ffffff';
const DARK_TEXT = '#000000';

/**
 * The text colour that reads on a brand colour: white or black, whichever contrasts more (a yellow brand
 * gets black text). One of the two always reaches 4.58:1 against any colour, above the 4.5:1 WCAG AA asks of text.
 */
export function textOn(color: string): string {
  const background = luminance(color);
  const contrast = (text: string) => {
    const [light, dark] = [luminance(text), background].sort((a, b) => b - a);
    return (light! + 0.05) / (dark! + 0.05);
  };
  return contrast(LIGHT_TEXT) >= contrast(DARK_TEXT) ? LIGHT_TEXT : DARK_TEXT;
}

function isUrl(value: string, protocols: readonly string[]): boolean {
  return URL.canParse(value) && protocols.includes(new URL(value).protocol);
}

/** The `img-src` the brand needs: its logo's origin only, or `data:` for an inlined logo. */
export function logoSource(brand: Brand | undefined): string | undefined {
  if (brand?.logo === undefined) return undefined;
  return brand.logo.startsWith('data:') ? 'data:' : new URL(brand.logo).origin;
}

// Which brand the page being rendered carries: set per request by `brandPages`, so every page — ours and the
// authorization server's, rendered deep inside oidc-provider — gets it without each view taking it.
const storage = new AsyncLocalStorage<PageBrand>();

export function currentBrand(): PageBrand {
  return storage.getStore() ?? {};
}

/** Middleware: render every page of this app with `brand`. */
export function brandPages(brand: PageBrand): MiddlewareHandler {
  const problem = brandProblem(brand);
  if (problem) throw new TypeError(problem);
  return (_c, next) => storage.run(brand, next);
}
