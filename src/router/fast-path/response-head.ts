import {
  CR,
  LF,
  SP,
  HTAB,
  isName,
  listsToken,
  parseDecimalLength,
  scanHeaderFields,
} from './header-fields.js';

/** undici's default limit for a response head; a longer one is a 502, as on the classic path. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

/** How the end of a response body is found. */
export type ResponseFraming = 'none' | 'length' | 'chunked' | 'close';

export interface ResponseHead {
  status: number;
  /** The reason phrase as sent; may be empty. */
  reason: string;
  rawHeaders: string[];
  framing: ResponseFraming;
  /** Body bytes when `framing` is 'length'. */
  contentLength: number;
  /** False when the app's connection cannot carry another request (Connection: close, HTTP/1.0). */
  reusable: boolean;
  /** The app sent a Date header (the router adds one when it did not). */
  hasDate: boolean;
  headBytes: number;
}

export type ResponseHeadParse =
  { kind: 'head'; head: ResponseHead } | { kind: 'incomplete' } | { kind: 'invalid'; reason: string };

const INCOMPLETE: ResponseHeadParse = { kind: 'incomplete' };
const PREFIX = 'HTTP/1.';

/**
 * Reads a response head at `start` of `buf`, strictly. `requestMethod` decides whether a body follows (HEAD
 * answers have none). A 1xx head is returned like any other, with framing 'none': the caller skips it.
 */
export function parseResponseHead(
  buf: Buffer,
  start: number,
  requestMethod: string,
  maxHeadBytes: number = MAX_RESPONSE_HEAD_BYTES,
): ResponseHeadParse {
  const len = buf.length;
  const limit = start + maxHeadBytes;
  // 'HTTP/1.x SP 3DIGIT' is 12 bytes; the reason phrase (possibly empty) runs to CRLF.
  if (len - start < 12) return prefixMismatch(buf, start) ? invalid('status line') : INCOMPLETE;
  if (prefixMismatch(buf, start)) return invalid('status line');
  const minor = buf[start + 7] as number;
  if ((minor !== 0x30 && minor !== 0x31) || buf[start + 8] !== SP) return invalid('status line');
  const status = digit(buf[start + 9]) * 100 + digit(buf[start + 10]) * 10 + digit(buf[start + 11]);
  if (!(status >= 100 && status <= 999)) return invalid('status code');
  let p = start + 12;
  let reasonStart = p;
  if (p < len && buf[p] === SP) reasonStart = ++p;
  for (;;) {
    if (p >= len) return len >= limit ? invalid('head too large') : INCOMPLETE;
    const byte = buf[p] as number;
    if (byte === CR) break;
    if ((byte < SP && byte !== HTAB) || byte === 0x7f) return invalid('status line');
    p++;
  }
  if (reasonStart === start + 12 && p !== reasonStart) return invalid('status line'); // no SP before the reason
  if (p + 1 >= len) return INCOMPLETE;
  if (buf[p + 1] !== LF) return invalid('status line');
  const reason = buf.toString('latin1', reasonStart, p);
  const fields = scanHeaderFields(buf, p + 2, limit);
  if (fields.kind === 'incomplete') return INCOMPLETE;
  if (fields.kind === 'refused') return invalid(fields.reason);
  return judgeFields(status, reason, minor === 0x31, fields.raw, fields.end - start, requestMethod);
}

function judgeFields(
  status: number,
  reason: string,
  http11: boolean,
  raw: string[],
  headBytes: number,
  requestMethod: string,
): ResponseHeadParse {
  let contentLength = -1;
  let chunked = false;
  let transferEncoding = false;
  let close = !http11;
  let hasDate = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.length === 14 && isName(name, 'content-length')) {
      if (contentLength !== -1) return invalid('several Content-Length headers');
      contentLength = parseDecimalLength(value);
      if (contentLength === -1) return invalid('Content-Length');
    } else if (name.length === 17 && isName(name, 'transfer-encoding')) {
      if (transferEncoding) return invalid('several Transfer-Encoding headers');
      // RFC 9110 allows a tab around list elements; Node's parser then does not see `chunked`. Read either way,
      // the answer would end in two places: refused.
      if (value.includes('\t')) return invalid('a tab in Transfer-Encoding');
      transferEncoding = true;
      chunked = lastCodingIsChunked(value);
    } else if (name.length === 10 && isName(name, 'connection')) {
      if (listsToken(value, 'close')) close = true;
      else if (!http11 && listsToken(value, 'keep-alive')) close = false;
    } else if (name.length === 4 && isName(name, 'date')) {
      hasDate = true;
    }
  }
  if (transferEncoding && contentLength !== -1) return invalid('both Content-Length and Transfer-Encoding');
  if (status === 101) return invalid('101 without an Upgrade request');
  let framing: ResponseFraming;
  if (status < 200 || status === 204 || status === 304 || requestMethod === 'HEAD') framing = 'none';
  else if (chunked) framing = 'chunked';
  else if (transferEncoding)
    framing = 'close'; // a coding other than chunked last: read until close (RFC 9112 §6.3)
  else if (contentLength !== -1) framing = 'length';
  else framing = 'close';
  return {
    kind: 'head',
    head: {
      status,
      reason,
      rawHeaders: raw,
      framing,
      contentLength: Math.max(0, contentLength),
      reusable: !close && framing !== 'close',
      hasDate,
      headBytes,
    },
  };
}

function lastCodingIsChunked(value: string): boolean {
  const comma = value.lastIndexOf(',');
  return isName((comma === -1 ? value : value.slice(comma + 1)).trim(), 'chunked');
}

function prefixMismatch(buf: Buffer, start: number): boolean {
  const end = Math.min(buf.length, start + PREFIX.length);
  for (let i = start; i < end; i++) if (buf[i] !== PREFIX.charCodeAt(i - start)) return true;
  return false;
}

function digit(byte: number | undefined): number {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : NaN;
}

function invalid(reason: string): ResponseHeadParse {
  return { kind: 'invalid', reason };
}
