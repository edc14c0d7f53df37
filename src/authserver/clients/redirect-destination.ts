/**
 * Where an approval sends the browser, in words a person can check: what the consent page names.
 *
 * Only the part of a redirect URI that decides who receives the code is named:
 * - https: the host (with a non-default port), as the browser will resolve it; an internationalised name is
 *   shown in its ASCII (punycode) form, so a look-alike cannot pass for the real host.
 * - loopback http: whichever program listens on that port of this computer (RFC 8252 §7.3), so the page says
 *   exactly that, with the port; the name `localhost` or `127.0.0.1` vouches for nothing.
 * - a private-use scheme (RFC 8252 §7.1): the operating system hands the URI to the app that registered the
 *   scheme. Everything after the scheme, including a "host" such as `claude.ai` in `com.example.app://claude.ai/cb`,
 *   is a string the registrant chose, so only the scheme is named.
 */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function describeRedirect(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    // The redirect policy accepts only absolute URIs; say what it is rather than guess a destination.
    return `the address ${uri}`;
  }
  if (url.protocol === 'https:') return url.host;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return `an app on this computer (port ${url.port || '80'})`;
  if (url.protocol === 'http:') return `${url.host} (unencrypted http)`;
  return `the app registered for ${url.protocol}`;
}
