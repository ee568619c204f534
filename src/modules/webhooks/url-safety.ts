import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * Where a webhook may point: http(s) to a public address. Private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7),
 * loopback, link-local, unspecified, multicast and reserved addresses are refused, written directly or behind a name,
 * IPv4-mapped IPv6 included, unless WEBHOOK_ALLOW_PRIVATE is set. Checked when an endpoint is saved, and again on
 * every delivery by the connection's own name lookup, so a name that resolves elsewhere later (DNS rebinding) is
 * caught where it would be used.
 */

const V4_BLOCKED: [number, number][] = [
  [0x00000000, 8], // "this network", unspecified
  [0x0a000000, 8], // private
  [0x64400000, 10], // carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata lives here)
  [0xac100000, 12], // private
  [0xc0000000, 24], // IETF protocol assignments
  [0xc0a80000, 16], // private
  [0xc6120000, 15], // benchmarking
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, broadcast
];

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function blockedV4(ip: string): boolean {
  const n = v4Number(ip);
  return V4_BLOCKED.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

/** The 8 groups of an IPv6 address (with an embedded dotted IPv4 tail turned into two groups). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0];
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const n = v4Number(dotted[1]);
    text = `${text.slice(0, -dotted[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

function blockedV6(ip: string): boolean {
  const g = v6Groups(ip);
  const first = g[0];
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, which covers :: and ::1): judged as the IPv4 address.
    if (g[5] === 0 && g[6] === 0) return true;
    return blockedV4(`${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`);
  }
  if (first === 0x64 && g[1] === 0xff9b) return blockedV4(`${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`); // NAT64
  if ((first & 0xfe00) === 0xfc00) return true; // unique local
  if ((first & 0xffc0) === 0xfe80) return true; // link-local
  if ((first & 0xffc0) === 0xfec0) return true; // site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/** True when an address is private, loopback, link-local, unspecified, multicast or reserved. */
export function isNonPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blockedV4(ip);
  if (family === 6) return blockedV6(ip);
  return true;
}

export class UnsafeUrlError extends Error {}

/** The URL parsed, or an UnsafeUrlError saying why it may not receive webhooks (the address check comes apart). */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('url must be an absolute http or https URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UnsafeUrlError('url must use https (or http)');
  if (!url.hostname) throw new UnsafeUrlError('url must name a host');
  return url;
}

const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Checks where a URL leads: its host's every address must be public (unless `allowPrivate`).
 * @example await assertPublicUrl(new URL('https://hooks.example.com/x'), false)
 */
export async function assertPublicUrl(url: URL, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(url);
  if (isIP(host)) {
    if (isNonPublicAddress(host)) throw new UnsafeUrlError(`url points to a private, loopback or link-local address (${host})`);
    return;
  }
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new UnsafeUrlError(`url's host ${host} does not resolve`);
  }
  const bad = addresses.find((a) => isNonPublicAddress(a.address));
  if (bad) throw new UnsafeUrlError(`url's host ${host} resolves to a private, loopback or link-local address (${bad.address})`);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | { address: string; family: number }[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses non-public answers: the address checked is the one connected to.
 * (IP literals never reach a lookup: the caller checks them before connecting.)
 */
export function safeLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    lookup(hostname, { all: true, verbatim: true }).then(
      (addresses) => {
        const bad = allowPrivate ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
        if (bad) {
          const error = Object.assign(new Error(`${hostname} resolves to a non-public address (${bad.address})`), { code: 'EUNSAFEADDRESS' });
          return callback(error, '', 0);
        }
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
