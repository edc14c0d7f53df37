import { isLoopbackHost } from '../../resource/urls.js';

/**
 * Whether a page at `origin` belongs to a client, judged by its redirect URIs: the origin of one of them, where a
 * loopback redirect registered without a port (any port at run time, RFC 8252 §7.3) stands for that loopback
 * name at any port. What the token endpoint lets a browser-based public client read (the MCP Inspector's page
 * redeems its code from `http://localhost:6274`, its callback's origin).
 */
export function isClientOrigin(redirectUris: readonly string[], origin: string): boolean {
  const page = URL.parse(origin);
  if (page === null || page.origin === 'null' || page.origin !== origin) return false;
  return redirectUris.some((uri) => {
    const redirect = URL.parse(uri);
    if (redirect === null) return false;
    if (redirect.origin === page.origin) return true;
    const anyPort = redirect.protocol === 'http:' && redirect.port === '' && isLoopbackHost(redirect.hostname);
    return anyPort && page.protocol === 'http:' && page.hostname === redirect.hostname;
  });
}
