import { serverUrls } from '../../resource/urls.js';

/**
 * The canonical resource identifier of an MCP URL (RFC 8707 §2, RFC 9728 §3.3): lower-case scheme and host, no
 * default port, no trailing slash, no fragment. The same form Gatehouse publishes for itself.
 */
export function canonicalResource(url: URL): string {
  try {
    return `${serverUrls(url.origin, url.pathname).resource.replace(/\/$/, '')}${url.search}`;
  } catch {
    // A path the publishing side would refuse still has a canonical spelling to compare against.
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  }
}
