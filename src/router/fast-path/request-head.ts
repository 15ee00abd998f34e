import { METHODS } from 'node:http';
import {
  CR,
  LF,
  SP,
  isName,
  isTokenByte,
  listsToken,
  parseDecimalLength,
  scanHeaderFields,
  type FieldRefusal,
} from './header-fields.js';

/** Node's default limit (--max-http-header-size): a longer head goes classic, where Node answers 431. */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;

/** Why a request goes to the classic path (Node's http server + undici) instead of the fast path. */
export type ClassicReason =
  | FieldRefusal
  | 'bad-request-line'
  | 'unknown-method'
  | 'not-http-1.1'
  | 'not-origin-form'
  | 'host-count'
  | 'content-length'
  | 'transfer-encoding'
  | 'upgrade'
  | 'expect';

/** A request head the fast path forwards itself. */
export interface RequestHead {
  method: string;
  /** origin-form (`/path?query`), or `*` for OPTIONS. */
  target: string;
  /** Flat name/value list, as the client sent it. */
  rawHeaders: string[];
  /** 0 when the request has no Content-Length. */
  contentLength: number;
  /** False when the client said `Connection: close`. */
  keepAlive: boolean;
  /** Bytes of the head, including the empty line. */
  headBytes: number;
}

export type RequestHeadParse =
  | { kind: 'eligible'; head: RequestHead }
  | { kind: 'incomplete' }
  | { kind: 'classic'; reason: ClassicReason };

const INCOMPLETE: RequestHeadParse = { kind: 'incomplete' };
/**
 * The methods Node's parser knows (llhttp refuses any other token, in any other case): the fast path forwards only
 * these, so that an app behind it never receives a request line Node's own server would have refused.
 */
const KNOWN_METHODS = new Set(METHODS);
const VERSION = Buffer.from(' HTTP/1.1\r\n', 'latin1');

/**
 * Reads the request head at the start of `buf` and decides whether the fast path may forward it. Anything unusual
 * goes classic rather than being read one way here and another way by Node or the app.
 */
export function parseRequestHead(
  buf: Buffer,
  maxHeadBytes: number = MAX_REQUEST_HEAD_BYTES,
): RequestHeadParse {
  const len = buf.length;
  let p = 0;
  while (p < len && isTokenByte(buf[p] as number)) p++;
  if (p >= len) return incomplete(len, maxHeadBytes);
  if (p === 0 || buf[p] !== SP) return classic('bad-request-line');
  const method = buf.toString('latin1', 0, p);
  if (!KNOWN_METHODS.has(method)) return classic('unknown-method');
  const targetStart = ++p;
  while (p < len && (buf[p] as number) > SP && (buf[p] as number) < 0x7f) p++;
  if (p >= len) return incomplete(len, maxHeadBytes);
  if (p === targetStart) return classic('bad-request-line');
  const target = buf.toString('latin1', targetStart, p);
  // The version: ' HTTP/1.1' then CRLF, compared byte by byte as far as it has arrived.
  for (let i = 0; i < VERSION.length; i++, p++) {
    if (p >= len) return incomplete(len, maxHeadBytes);
    const byte = buf[p] as number;
    if (byte === VERSION[i]) continue;
    if (byte === LF && i === VERSION.length - 2) return classic('bare-lf');
    if (i >= 1 && i <= 8 && byte !== CR && byte !== LF) return classic('not-http-1.1');
    return classic('bad-request-line');
  }
  if (target.charCodeAt(0) !== 0x2f /* / */ && !(target === '*' && method === 'OPTIONS')) {
    return classic('not-origin-form');
  }
  const fields = scanHeaderFields(buf, p, maxHeadBytes);
  if (fields.kind === 'incomplete') return INCOMPLETE;
  if (fields.kind === 'refused') return classic(fields.reason);
  return judgeFields(method, target, fields.raw, fields.end);
}

function judgeFields(method: string, target: string, raw: string[], headBytes: number): RequestHeadParse {
  let hosts = 0;
  let contentLength = -1;
  let keepAlive = true;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    switch (name.length) {
      case 4:
        if (isName(name, 'host')) hosts++;
        break;
      case 6:
        if (isName(name, 'expect')) return classic('expect');
        break;
      case 7:
        if (isName(name, 'upgrade')) return classic('upgrade');
        break;
      case 10:
        if (isName(name, 'connection') && listsToken(raw[i + 1] as string, 'close')) keepAlive = false;
        break;
      case 14:
        if (isName(name, 'content-length')) {
          if (contentLength !== -1) return classic('content-length');
          contentLength = parseDecimalLength(raw[i + 1] as string);
          if (contentLength === -1) return classic('content-length');
        }
        break;
      case 17:
        if (isName(name, 'transfer-encoding')) return classic('transfer-encoding');
        break;
    }
  }
  if (hosts !== 1) return classic('host-count');
  return {
    kind: 'eligible',
    head: {
      method,
      target,
      rawHeaders: raw,
      contentLength: Math.max(0, contentLength),
      keepAlive,
      headBytes,
    },
  };
}

function incomplete(buffered: number, maxHeadBytes: number): RequestHeadParse {
  return buffered >= maxHeadBytes ? classic('head-too-large') : INCOMPLETE;
}

function classic(reason: ClassicReason): RequestHeadParse {
  return { kind: 'classic', reason };
}
