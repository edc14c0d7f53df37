import { isIP } from 'node:net';
import { isSpecialUseAddress } from '../../util/special-addresses.js';
import type { ClientPreset } from './presets.js';

/** Suffixes of names that only a machine or its network resolves (RFC 6761, RFC 6762, RFC 8375 and common habits). */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.lan', '.home', '.home.arpa', '.corp', '.intranet'];

/** Why a client on the internet cannot reach this URL, or undefined when it is a public https URL. */
export function unreachableFromInternet(mcpUrl: string): string | undefined {
  const url = URL.parse(mcpUrl);
  if (url === null) return 'it is not a URL';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const local = isIP(host) !== 0 ? isSpecialUseAddress(host) : host === 'localhost' || !host.includes('.') || LOCAL_SUFFIXES.some((s) => host.endsWith(s));
  if (local) return `${url.hostname} is an address of this machine or its network`;
  if (url.protocol !== 'https:') return 'it is plain http, and these clients connect over https only';
  return undefined;
}

/**
 * The warning for a cloud client's preset whose MCP URL it cannot reach (localhost, a private address, plain
 * http), saying how to get a public one; undefined when there is nothing to warn about.
 */
export function publicUrlWarning(preset: ClientPreset, mcpUrl: string): string | undefined {
  if (preset.connectsFrom !== 'cloud') return undefined;
  const problem = unreachableFromInternet(mcpUrl);
  if (problem === undefined) return undefined;
  const url = URL.parse(mcpUrl);
  const local = url?.origin ?? 'http://localhost:8000';
  const path = url?.pathname ?? '/mcp';
  return (
    `${preset.displayName} connects from its own servers on the internet and cannot reach ${mcpUrl} (${problem}). ` +
    `Give this server a public https URL: run a tunnel to it (cloudflared tunnel --url ${local}, or ngrok http ${local}), ` +
    `start it with --public-url https://<the tunnel host>, and give the client https://<the tunnel host>${path}.`
  );
}
