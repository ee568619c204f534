import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` is 10.0.0.1: an IPv4 peer of a dual-stack socket. */
const plain = (address: string) => (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

/** Parses TRUST_PROXY entries (addresses or CIDRs); null when one is not valid. */
export function parseProxies(entries: string[]): BlockList | null {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (!family || rest.length) return null;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) return null;
      list.addSubnet(address, prefix, type);
    }
  }
  return list;
}

/**
 * The client's address for throttling and logs. `X-Forwarded-For` is read only when the connection comes from a
 * trusted proxy (TRUST_PROXY); then the rightmost address that is not itself a trusted proxy is the client (the
 * leftmost entries are whatever the client chose to send). Without trusted proxies, the socket's peer.
 * @example const resolve = clientAddressResolver(['10.0.0.0/8']); resolve('10.0.0.5', '203.0.113.7, 10.0.0.6') // '203.0.113.7'
 */
export function clientAddressResolver(trusted: string[]) {
  const proxies = trusted.length ? parseProxies(trusted) : null;
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && proxies!.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (peer: string | undefined, forwardedFor: string | string[] | undefined): string => {
    const direct = peer ? plain(peer) : 'unknown';
    if (!proxies || !forwardedFor || !isTrusted(direct)) return direct;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((s) => plain(s.trim())).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!isIP(hops[i])) return direct; // a malformed chain: trust none of it
      if (!isTrusted(hops[i])) return hops[i];
    }
    return hops[0] ?? direct;
  };
}

export type ClientAddress = ReturnType<typeof clientAddressResolver>;
