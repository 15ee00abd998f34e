import { constants } from 'node:crypto';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';

/**
 * TLS 1.3 suites (all AEAD), then for TLS 1.2 only ECDHE key exchange with AEAD ciphers (Mozilla's
 * "intermediate" list without DHE): forward secrecy and no CBC. ECDSA before RSA: the suite that fits the
 * certificate's key is chosen, in this order (the server's preference).
 */
export const ROUTER_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** What every context and the server share: TLS 1.2 at least, the ciphers above, no renegotiation. */
export const ROUTER_TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  ciphers: ROUTER_CIPHERS,
  honorCipherOrder: true,
  ecdhCurve: 'X25519:P-256:P-384',
  // A client-initiated renegotiation costs the server a handshake for nothing (a DoS lever); TLS 1.3 has none.
  secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
} as const satisfies TlsOptions;

/** The context that serves one certificate chain and key (throws when they do not load or do not match). */
export function createRouterSecureContext(cert: string, key: string): SecureContext {
  return createSecureContext({ ...ROUTER_TLS_SETTINGS, cert, key });
}
