import { BlockList, isIP } from 'node:net';

/**
 * Addresses an outbound fetch chosen by an outsider must never reach: this machine, private and carrier-grade NAT
 * networks, link-local (cloud metadata at 169.254.169.254), multicast, unspecified and reserved ranges, and the IPv6
 * forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo), so a v4 target cannot hide inside a v6 one.
 * Ranges from the IANA special-purpose registries (RFC 6890 and its updates).
 */
const SPECIAL_USE_V4 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", including the unspecified address
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private (RFC 1918)
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
] as const) {
  SPECIAL_USE_V4.addSubnet(network, prefix, 'ipv4');
}
// A list of its own: BlockList matches IPv4 addresses against IPv6 rules as if mapped, so `::ffff:0:0/96` in the
// same list would match every IPv4 address.
const SPECIAL_USE_V6 = new BlockList();
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['::ffff:0:0', 96], // IPv4-mapped
  ['64:ff9b::', 96], // NAT64 (RFC 6052)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215)
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments, Teredo among them
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  SPECIAL_USE_V6.addSubnet(network, prefix, 'ipv6');
}

/** True for an IP address in a special-use range; for anything that is not an IP address too (fail closed). */
export function isSpecialUseAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return family === 4 ? SPECIAL_USE_V4.check(address, 'ipv4') : SPECIAL_USE_V6.check(address, 'ipv6');
}
