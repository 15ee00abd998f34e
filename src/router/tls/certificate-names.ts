/**
 * Which certificate answers a TLS handshake: a pure function of the server name the client sent (SNI) and the
 * names each certificate covers. A certificate is never given to a name it does not cover; a name no certificate
 * covers gets the configured default certificate, or none (the handshake fails).
 */

/** What the matcher needs of a certificate: the DNS names it covers (`*.example.com` wildcards included). */
export interface NamedCertificate {
  readonly names: readonly string[];
}

/**
 * A server name as compared: lower case (DNS names are case-insensitive; IDNs arrive as punycode A-labels), one
 * trailing dot removed. Null when it is no DNS name a certificate could cover.
 */
export function normalizeServerName(name: string): string | null {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return DNS_NAME.test(n) && n.length <= 253 ? n : null;
}

/** Labels of letters, digits, hyphens and underscores (seen in the wild), none empty, at most 63 long. */
const DNS_NAME = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Whether a certificate name covers a (normalized) server name, as RFC 6125 §6.4.3 allows a client to accept it:
 * an exact match, or a wildcard `*.example.com` as the whole leftmost label matching exactly one label
 * (`shop.example.com`, not `example.com` nor `a.shop.example.com`). Partial-label wildcards (`w*.example.com`)
 * and wildcards over a public suffix's single label (`*.com`) cover nothing.
 */
export function nameCovers(pattern: string, serverName: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.startsWith('*.')) return p === serverName;
  const suffix = p.slice(1); // ".example.com"
  if (suffix.indexOf('.', 1) === -1 || suffix.includes('*')) return false; // `*.com`, `*.*.example.com`
  if (!serverName.endsWith(suffix)) return false;
  const label = serverName.slice(0, serverName.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/**
 * The index of the certificate that answers `serverName` (SNI; null when the client sent none): a certificate
 * naming it exactly before one covering it by wildcard, the first listed among equals; otherwise `defaultIndex`
 * (null unless a default certificate is configured). Null: no certificate, the handshake fails.
 */
export function selectCertificate(
  serverName: string | null,
  certificates: readonly NamedCertificate[],
  defaultIndex: number | null = null,
): number | null {
  const name = serverName === null ? null : normalizeServerName(serverName);
  if (name === null) return defaultIndex;
  let wildcard: number | null = null;
  for (let i = 0; i < certificates.length; i++) {
    for (const pattern of certificates[i]!.names) {
      if (pattern.startsWith('*.')) {
        if (wildcard === null && nameCovers(pattern, name)) wildcard = i;
      } else if (pattern.toLowerCase() === name) return i;
    }
  }
  return wildcard ?? defaultIndex;
}

/** The DNS names of a certificate: its subjectAltName DNS entries, or its subject CN when it has none. */
export function certificateNames(subjectAltName: string | undefined, subject: string): string[] {
  if (subjectAltName !== undefined && subjectAltName.trim() !== '') {
    return subjectAltName
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.startsWith('DNS:'))
      .map((entry) => entry.slice(4).toLowerCase());
  }
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(subject);
  return cn === null ? [] : [cn[1]!.trim().toLowerCase()];
}
