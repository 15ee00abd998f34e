import { SlipwayError } from '../core/errors.js';

/** Where certificates come from: an ACME (RFC 8555) certificate authority. */
export interface AcmeCa {
  /**
   * The CA's directory: `letsencrypt`, `letsencrypt-staging` (untrusted certificates, generous rate limits: for
   * trying things), or the directory URL of any ACME CA (`https://…`).
   */
  directory: string;
  /** The account's contact: the CA writes here about expiring certificates and policy changes. */
  email?: string;
  /**
   * PEM certificates to trust for the HTTPS connection to the directory, instead of the system's: a private CA
   * (step-ca, Pebble) whose server certificate no public CA signed.
   */
  caBundle?: string;
  /** For CAs that require an existing account elsewhere (ZeroSSL, Google): the key id and HMAC key they gave. */
  externalAccountBinding?: { kid: string; hmacKey: string };
}

export const ACME_DIRECTORIES: Readonly<Record<string, string>> = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
};

/** The directory URL a CA's `directory` names. Throws for an unknown name or a URL that is not https. */
export function directoryUrlOf(directory: string): string {
  const named = ACME_DIRECTORIES[directory];
  if (named) return named;
  let url: URL;
  try {
    url = new URL(directory);
  } catch {
    throw new SlipwayError(`unknown ACME directory "${directory}"`, {
      hint: `use ${Object.keys(ACME_DIRECTORIES).join(' or ')}, or the https:// directory URL of your CA`,
    });
  }
  if (url.protocol !== 'https:') {
    throw new SlipwayError(`the ACME directory must be an https:// URL (RFC 8555), not ${directory}`);
  }
  return url.href;
}
