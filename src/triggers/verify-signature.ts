import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = { ok: true } | { ok: false; reason: 'unsigned' | 'malformed' | 'mismatch' };

const HEADER_FORMAT = /^sha256=([0-9a-f]{64})$/i;

/** The `X-Hub-Signature-256` value a sender with `key` puts on `body`: `sha256=<hex HMAC-SHA256>`. */
export function signWebhookBody(key: string, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}

/** Checks `X-Hub-Signature-256` against the raw body in constant time (the digests compared have one length). */
export function verifyWebhookSignature(
  key: string,
  body: Uint8Array,
  header: string | undefined,
): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'unsigned' };
  const hex = HEADER_FORMAT.exec(header.trim())?.[1];
  if (hex === undefined) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', key).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex'))
    ? { ok: true }
    : { ok: false, reason: 'mismatch' };
}
