/**
 * The request target as the app must see it. A reverse proxy's app expects origin-form (`/path?query`, or `*` for
 * OPTIONS). A client may send absolute-form (`GET http://shop.example/cart HTTP/1.1`, RFC 9112 §3.2.2), which
 * Node's server passes on as it came: the router rewrites it to origin-form and takes the authority as Host, as a
 * proxy must. Anything else (authority-form outside CONNECT, a scheme other than http/https, userinfo) is refused.
 */
export type RequestTarget =
  | { kind: 'origin'; path: string }
  | { kind: 'absolute'; path: string; authority: string }
  | { kind: 'invalid'; reason: string };

const ABSOLUTE = /^https?:\/\/([^/?#]*)([^#]*)$/i;
/** host[:port] as RFC 3986 allows it in an authority, without userinfo: reg-name, IPv4 or an IP literal. */
const AUTHORITY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{0,5})?$/;

export function parseRequestTarget(method: string, target: string): RequestTarget {
  if (target.charCodeAt(0) === 0x2f /* / */) return { kind: 'origin', path: target };
  if (target === '*') {
    return method === 'OPTIONS'
      ? { kind: 'origin', path: target }
      : { kind: 'invalid', reason: '* is a target for OPTIONS only' };
  }
  const match = ABSOLUTE.exec(target);
  if (match === null) return { kind: 'invalid', reason: 'not origin-form nor an http(s) absolute URL' };
  const authority = match[1] as string;
  if (!AUTHORITY.test(authority)) return { kind: 'invalid', reason: 'bad authority in the target' };
  const rest = match[2] as string;
  const path = rest === '' ? '/' : rest.charCodeAt(0) === 0x3f /* ? */ ? `/${rest}` : rest;
  return { kind: 'absolute', path, authority };
}
