import { isIP } from 'node:net';

/** Where a request came from, as far as auth cares: the client's address (rate limits) and whether it used https (cookies). */
export interface RequestOrigin {
  address: string;
  secure: boolean;
}

export interface RawOrigin {
  /** The TCP peer; undefined when the request did not come over a socket (an in-process test). */
  peerAddress: string | undefined;
  /** The request URL as the server saw it (`https:` when it terminated TLS itself). */
  url: string;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
}

/**
 * A reverse proxy on the same machine is trusted: when the TCP peer is a loopback address, `X-Forwarded-For`
 * (its last entry, the one that proxy added) names the client and `X-Forwarded-Proto: https` makes the request
 * secure. From any other peer those headers are ignored, so a remote client cannot choose its address for the
 * rate limit. A proxy elsewhere is not trusted: put it on the server's machine or accept its address as the client.
 */
export function deriveRequestOrigin(raw: RawOrigin): RequestOrigin {
  const peer = raw.peerAddress ?? 'unknown';
  const direct: RequestOrigin = { address: peer, secure: raw.url.startsWith('https:') };
  if (!isLoopback(peer)) return direct;
  const forwardedAddress = lastListEntry(raw.forwardedFor);
  const forwardedProto = lastListEntry(raw.forwardedProto)?.toLowerCase();
  return {
    address: forwardedAddress && isIP(forwardedAddress) !== 0 ? forwardedAddress : peer,
    secure: direct.secure || forwardedProto === 'https',
  };
}

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

function lastListEntry(value: string | undefined): string | undefined {
  const entries = (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  return entries[entries.length - 1];
}
