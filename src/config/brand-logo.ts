import { readFileSync } from 'node:fs';
import { ConfigError, describeSetting } from './load.js';

/** Larger than a logo needs; every page carries it inline. */
export const MAX_LOGO_BYTES = 100 * 1024;
const LOGO_FIX = 'give an https URL, or a png, svg or jpeg file of at most 100 KiB';

/** The type an image file is, by its first bytes (never by its name), or `undefined` for anything else. */
function imageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  const text = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(text)) return 'image/svg+xml';
  return undefined;
}

/** `--brand-logo`: an https URL is used as it is; a file is read now and inlined as a `data:` URL. */
export function brandLogoFrom(value: string): string {
  if (URL.canParse(value) && new URL(value).protocol === 'https:') return value;
  const problem = (what: string) => new ConfigError([`${describeSetting('brandLogo')}: ${value} ${what}: ${LOGO_FIX}`]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(value);
  } catch (error) {
    throw problem(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (bytes.length > MAX_LOGO_BYTES) throw problem(`is ${Math.ceil(bytes.length / 1024)} KiB`);
  const type = imageType(bytes);
  if (type === undefined) throw problem('is not a png, svg or jpeg image');
  return `data:${type};base64,${bytes.toString('base64')}`;
}
