import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell the server a client's address: `false` (none: the socket's peer is the client), a hop
 * count (`1`: one proxy in front; `true` means the same), or the proxies' addresses and CIDR ranges (an array,
 * or one comma-separated string), IPv4 or IPv6.
 */
export type TrustProxyOption = boolean | number | string | readonly string[];

/** The header a trusted proxy writes the client's address into. */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

export const FORWARDED_HEADERS: readonly ForwardedHeader[] = ['x-forwarded-for', 'forwarded'];

/** A `trustProxy` value that cannot be used; the message says what is wrong with it. */
export class TrustProxyError extends Error {}

/**
 * The rule that turns a request's socket peer and forwarded header into the client's address. The header is
 * read from the right, where the proxies we trust appended what they saw: the right-most entry that is not a
 * trusted proxy is the client (with a hop count N: the Nth from the right). Entries further left were written
 * by the client itself and are never believed. With addresses, the header is read only when the socket peer
 * is one of them.
 */
export class TrustedProxies {
  static readonly none = new TrustedProxies(0, undefined, 'x-forwarded-for', 'off');

  private constructor(
    private readonly hops: number,
    private readonly proxies: BlockList | undefined,
    readonly header: ForwardedHeader,
    /** The setting in words, for logs and errors. */
    readonly description: string,
  ) {}

  static from(option: TrustProxyOption | TrustedProxies | undefined, header: ForwardedHeader = 'x-forwarded-for'): TrustedProxies {
    if (option instanceof TrustedProxies) return option;
    if (!FORWARDED_HEADERS.includes(header)) throw new TrustProxyError(`the forwarded header must be one of ${FORWARDED_HEADERS.join(', ')} (got "${header}")`);
    if (option === undefined || option === false) return TrustedProxies.none;
    if (option === true) return TrustedProxies.hopCount(1, header);
    if (typeof option === 'number') return TrustedProxies.hopCount(option, header);
    const entries = (typeof option === 'string' ? option.split(',') : [...option]).map((entry) => String(entry).trim()).filter(Boolean);
    if (entries.length === 1 && /^\d+$/.test(entries[0]!)) return TrustedProxies.hopCount(Number(entries[0]), header);
    if (entries.length === 0) throw new TrustProxyError('name the proxies (addresses or CIDR ranges, e.g. 10.0.0.0/8,::1) or give a hop count (e.g. 1)');
    const proxies = new BlockList();
    for (const entry of entries) addProxy(proxies, entry);
    return new TrustedProxies(0, proxies, header, `proxies ${entries.join(', ')} (${header})`);
  }

  private static hopCount(hops: number, header: ForwardedHeader): TrustedProxies {
    if (!Number.isInteger(hops) || hops < 0 || hops > 32) throw new TrustProxyError(`a hop count must be a whole number from 0 to 32 (got ${hops})`);
    return hops === 0 ? TrustedProxies.none : new TrustedProxies(hops, undefined, header, `${hops} hop${hops === 1 ? '' : 's'} (${header})`);
  }

  get enabled(): boolean {
    return this.hops > 0 || this.proxies !== undefined;
  }

  /** Whether this peer's forwarded headers (the client's address, X-Forwarded-Host) may be believed. */
  trustsPeer(peer: string | undefined): boolean {
    if (this.hops > 0) return true;
    const address = peer === undefined ? undefined : normalizeAddress(peer);
    return this.proxies !== undefined && address !== undefined && this.#isProxy(address);
  }

  /** The client's address, from the socket's peer and the request's headers (as `name → value`). */
  clientAddress(peer: string | undefined, header: (name: ForwardedHeader) => string | null | undefined): string | undefined {
    const socket = peer === undefined ? undefined : (normalizeAddress(peer) ?? peer);
    if (!this.trustsPeer(socket)) return socket;
    const value = header(this.header);
    if (!value) return socket;
    const nodes = this.header === 'forwarded' ? forwardedNodes(value) : forwardedForNodes(value);
    // `reporter` is the nearest hop whose word we have: the peer, then each trusted proxy in turn.
    let reporter = socket;
    for (let i = nodes.length - 1, fromRight = 1; i >= 0; i--, fromRight++) {
      const node = nodes[i];
      // An obfuscated or unknown identifier (RFC 7239 §6.2, §6.3), or garbage: the client is hidden from us,
      // and the hop that reported it is the nearest address we know.
      if (node === undefined) return reporter;
      const trusted = this.proxies ? this.#isProxy(node) : fromRight < this.hops;
      if (!trusted) return node;
      reporter = node;
    }
    return reporter; // every hop was a trusted proxy: the left-most is as far as we can see
  }

  #isProxy(address: string): boolean {
    return this.proxies!.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}

function addProxy(proxies: BlockList, entry: string): void {
  const [address, prefix, extra] = entry.split('/');
  const normalized = address === undefined ? undefined : normalizeAddress(address);
  const family = normalized === undefined ? 0 : isIP(normalized);
  const bits = family === 6 ? 128 : 32;
  if (family === 0 || extra !== undefined || (prefix !== undefined && !(/^\d+$/.test(prefix) && Number(prefix) <= bits))) {
    throw new TrustProxyError(`"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.1, 10.0.0.0/8, fd00::/8)`);
  }
  const type = family === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) proxies.addAddress(normalized!, type);
  else proxies.addSubnet(normalized!, Number(prefix), type);
}

/** An IP address in one spelling (IPv4-mapped IPv6 as IPv4, IPv6 lower case), or `undefined` if it is none. */
export function normalizeAddress(value: string): string | undefined {
  let address = value.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1]!;
  const family = isIP(address);
  if (family === 0) return undefined;
  return family === 6 ? address.toLowerCase() : address;
}

/** The addresses of an X-Forwarded-For list, left to right; `undefined` for an entry that is no address. */
function forwardedForNodes(value: string): Array<string | undefined> {
  return value.split(',').map((entry) => nodeAddress(entry.trim()));
}

/** The `for=` nodes of an RFC 7239 `Forwarded` header, left to right; `undefined` where one is absent, obfuscated or unknown. */
function forwardedNodes(value: string): Array<string | undefined> {
  return splitOutsideQuotes(value, ',').map((element) => {
    for (const pair of splitOutsideQuotes(element, ';')) {
      const equals = pair.indexOf('=');
      if (equals < 0 || pair.slice(0, equals).trim().toLowerCase() !== 'for') continue;
      let node = pair.slice(equals + 1).trim();
      if (node.startsWith('"') && node.endsWith('"') && node.length >= 2) node = node.slice(1, -1).replace(/\\(.)/g, '$1');
      return nodeAddress(node);
    }
    return undefined;
  });
}

/** A node as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`, bare IPv6. */
function nodeAddress(node: string): string | undefined {
  if (node.startsWith('[')) {
    const end = node.indexOf(']');
    const rest = node.slice(end + 1);
    if (end < 0 || !(rest === '' || /^:\d+$/.test(rest))) return undefined;
    return normalizeAddress(node.slice(1, end));
  }
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(node);
  return normalizeAddress(v4WithPort ? v4WithPort[1]! : node);
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (quoted && char === '\\' && i + 1 < value.length) {
      current += char + value[++i];
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts;
}
