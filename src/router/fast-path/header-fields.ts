/**
 * The strict HTTP/1.1 field-line scanner shared by the fast path's request and response head parsers. It refuses
 * everything a lenient parser might read differently from the app behind the router (request smuggling lives in
 * those differences): obs-fold, bare LF, whitespace before the colon, control characters in a value.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;

/** RFC 9110 tchar, as a lookup table over byte values. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

export function isTokenByte(byte: number): boolean {
  return TCHAR[byte] === 1;
}

/** Why a head is not one the fast path reads. */
export type FieldRefusal = 'bare-lf' | 'obs-fold' | 'bad-header' | 'head-too-large';

export type FieldScan =
  | { kind: 'fields'; raw: string[]; end: number }
  | { kind: 'incomplete' }
  | { kind: 'refused'; reason: FieldRefusal };

const INCOMPLETE_SCAN: FieldScan = { kind: 'incomplete' };

/**
 * Reads field lines from `start` (just after the start line) to the empty line that ends the head. `raw` is the
 * flat name/value list Node and undici use (values without leading whitespace and trailing spaces; a trailing tab is
 * kept, so that a framing header with one is refused rather than read otherwise than Node reads it); `end` is the offset
 * just after the head. A head longer than `maxHeadBytes` is refused as soon as that is known.
 */
export function scanHeaderFields(buf: Buffer, start: number, maxHeadBytes: number): FieldScan {
  const raw: string[] = [];
  const len = buf.length;
  let p = start;
  for (;;) {
    if (p >= len) return incomplete(len, maxHeadBytes);
    const first = buf[p] as number;
    if (first === CR) {
      if (p + 1 >= len) return incomplete(len, maxHeadBytes);
      if (buf[p + 1] !== LF) return { kind: 'refused', reason: 'bad-header' };
      if (p + 2 > maxHeadBytes) return { kind: 'refused', reason: 'head-too-large' };
      return { kind: 'fields', raw, end: p + 2 };
    }
    if (first === LF) return { kind: 'refused', reason: 'bare-lf' };
    if (first === SP || first === HTAB) return { kind: 'refused', reason: 'obs-fold' };
    const nameStart = p;
    while (p < len && TCHAR[buf[p] as number] === 1) p++;
    if (p >= len) return incomplete(len, maxHeadBytes);
    if (p === nameStart || buf[p] !== 0x3a /* : */) return { kind: 'refused', reason: 'bad-header' };
    const nameEnd = p++;
    while (p < len && (buf[p] === SP || buf[p] === HTAB)) p++;
    const valueStart = p;
    let valueEnd = p;
    for (;;) {
      if (p >= len) return incomplete(len, maxHeadBytes);
      const byte = buf[p] as number;
      if (byte === CR) break;
      if (byte === LF) return { kind: 'refused', reason: 'bare-lf' };
      if ((byte < SP && byte !== HTAB) || byte === 0x7f) return { kind: 'refused', reason: 'bad-header' };
      p++;
      if (byte !== SP) valueEnd = p; // a trailing tab stays: Node's parser reads `chunked<TAB>` as not chunked
    }
    if (p + 1 >= len) return incomplete(len, maxHeadBytes);
    if (buf[p + 1] !== LF) return { kind: 'refused', reason: 'bad-header' };
    raw.push(buf.toString('latin1', nameStart, nameEnd), buf.toString('latin1', valueStart, valueEnd));
    p += 2;
    if (p > maxHeadBytes) return { kind: 'refused', reason: 'head-too-large' };
  }
}

function incomplete(buffered: number, maxHeadBytes: number): FieldScan {
  return buffered >= maxHeadBytes ? { kind: 'refused', reason: 'head-too-large' } : INCOMPLETE_SCAN;
}

/** Case-insensitive equality with a lower-case name; no allocation when the name is already lower-case. */
export function isName(name: string, lower: string): boolean {
  return name.length === lower.length && (name === lower || name.toLowerCase() === lower);
}

/** A plain decimal length (no sign, no spaces inside, at most 15 digits); -1 otherwise. */
export function parseDecimalLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return Number(value);
}

/** True when a comma-separated header value lists `token` (lower-case), case-insensitively. */
export function listsToken(value: string, token: string): boolean {
  if (isName(value, token)) return true;
  for (const part of value.split(',')) if (isName(part.trim(), token)) return true;
  return false;
}
