import { isTimeout, networkFailureDetail, readCapped } from '../../util/fetch-failure.js';
import { parseJsonObject } from '../../util/json-object.js';
import { metadataUrls } from '../../util/metadata-urls.js';
import { DownstreamTokenError } from '../downstream.js';
import { isHttpsOrLoopback } from '../urls.js';

/** Discovery documents of large servers run to tens of kilobytes; past this it is not one. */
const MAX_METADATA_BYTES = 256 * 1024;

/**
 * The token endpoint of `issuer`, read from its metadata (RFC 8414, or OpenID Connect Discovery) on first use and
 * kept: concurrent first uses share one discovery, and a failed one is tried again on the next use.
 */
export function discoveredTokenEndpoint(issuer: string, timeoutMs: number): () => Promise<string> {
  let found: Promise<string> | undefined;
  return () => {
    found ??= discover(issuer, timeoutMs).catch((error: unknown) => {
      found = undefined;
      throw error;
    });
    return found;
  };
}

async function discover(issuer: string, timeoutMs: number): Promise<string> {
  const failed = (what: string, cause?: unknown) =>
    new DownstreamTokenError('temporarily_unavailable', `The token endpoint of ${issuer} could not be discovered: ${what}`, {
      description: 'The authorization server could not be asked for a token right now',
      ...(cause !== undefined && { cause }),
    });
  const tried: string[] = [];
  for (const url of metadataUrls(new URL(issuer))) {
    let status: number;
    let text: string;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
      status = response.status;
      text = status === 200 ? await readCapped(response, MAX_METADATA_BYTES) : '';
      if (status !== 200) await response.body?.cancel();
    } catch (error) {
      // The host is down or slow: every other well-known URL is on the same host.
      if (isTimeout(error)) throw failed(`${url} did not answer within ${timeoutMs} ms`, error);
      throw failed(`${url} could not be reached (${networkFailureDetail(error)})`, error);
    }
    const metadata = status === 200 ? parseJsonObject(text) : undefined;
    if (metadata === undefined) {
      tried.push(`${url} (${status === 200 ? 'not a JSON object' : `HTTP ${status}`})`);
      continue;
    }
    // RFC 8414 §3.3: the document must name exactly the issuer asked about, or it is another server's (mix-up).
    if (metadata['issuer'] !== issuer) throw failed(`${url} names the issuer ${JSON.stringify(metadata['issuer'])}, not "${issuer}"`);
    const endpoint = metadata['token_endpoint'];
    if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) throw failed(`${url} names no token_endpoint`);
    if (!isHttpsOrLoopback(new URL(endpoint))) throw failed(`${url} names a token_endpoint that is not https (${endpoint})`);
    return endpoint;
  }
  throw failed(`no metadata at ${tried.join(', ')}`);
}
