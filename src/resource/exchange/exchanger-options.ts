import { isHttpsOrLoopback } from '../urls.js';

/**
 * An authorization server URL from the options, checked at construction: a URL, https (plain http only on
 * loopback, where nothing crosses a network), no credentials, no fragment. A plain Error naming the option otherwise.
 */
export function endpointUrl(owner: string, option: string, value: unknown): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) throw new Error(`${owner}: ${option} ${JSON.stringify(value)} is not a URL`);
  const url = new URL(value);
  if (!isHttpsOrLoopback(url)) throw new Error(`${owner}: ${option} "${value}" must use https (http is allowed only on loopback)`);
  if (url.username || url.password) throw new Error(`${owner}: ${option} must not contain credentials`);
  if (url.hash) throw new Error(`${owner}: ${option} "${value}" must not have a fragment`);
  return url;
}

/** The token endpoint (and discovery) timeout in ms: `timeoutSeconds`, default 5 s, at most a minute. */
export function timeoutMsOption(owner: string, seconds: number | undefined): number {
  const value = seconds ?? 5;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 60) {
    throw new Error(`${owner}: timeoutSeconds must be more than 0 and at most 60`);
  }
  return value * 1000;
}
