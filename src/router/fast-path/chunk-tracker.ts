import { CR, HTAB, LF, SP, isTokenByte } from './header-fields.js';

/** Where the tracker is inside a chunked body (RFC 9112 §7.1). */
const enum State {
  Size,
  /** A chunk extension's name (RFC 9112 §7.1.1), after `;`. */
  ExtensionName,
  /** Just after `=`: a token, a quoted string, or nothing. */
  ExtensionValueStart,
  ExtensionToken,
  ExtensionQuoted,
  ExtensionQuotedPair,
  /** After a quoted value's closing quote: `;` or the line end. */
  ExtensionAfterQuoted,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  /** The start of a trailer line, or the final CRLF. */
  TrailerStart,
  TrailerName,
  TrailerValue,
  TrailerLf,
  EndLf,
  Done,
  Failed,
}

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Trailer fields that would change how the message is framed: Node's parser refuses a Content-Length there, and
 * RFC 9110 §6.5.1 forbids framing fields in trailers. Relaying them could make a client read the answer another way.
 */
const FRAMING_TRAILERS = new Set(['content-length', 'transfer-encoding']);
/** Longer trailer names than this cannot be framing fields and are not collected. */
const MAX_COLLECTED_NAME = 17;

/** Hex digits in a chunk size: 13 keep it a safe integer. */
const MAX_SIZE_DIGITS = 13;

/** `track` found the end of the body past the given chunk. */
export const CHUNKED_MORE = -1;
/** `track` found a malformed chunked body. */
export const CHUNKED_INVALID = -2;

/**
 * Follows a chunked body as its bytes pass through unchanged, to know where it ends: chunk sizes, extensions,
 * data, trailers. Pure and incremental; any split of the bytes gives the same answer.
 */
export class ChunkTracker {
  #state = State.Size;
  #digits = 0;
  #remaining = 0;
  /** The trailer field name being read, lower-case (only as long as a framing field's name). */
  #name = '';

  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Reads `buf` from `start`; returns the offset just after the body's last byte when it ends inside `buf`,
   * CHUNKED_MORE when it goes on, CHUNKED_INVALID when the bytes are not a chunked body.
   */
  track(buf: Buffer, start = 0): number {
    const len = buf.length;
    let p = start;
    while (p < len) {
      const byte = buf[p] as number;
      switch (this.#state) {
        case State.Size: {
          const value = hexValue(byte);
          if (value !== -1) {
            if (++this.#digits > MAX_SIZE_DIGITS) return this.#fail();
            this.#remaining = this.#remaining * 16 + value;
          } else if (this.#digits === 0) return this.#fail();
          else if (byte === CR) this.#state = State.SizeLf;
          else if (byte === SEMICOLON) this.#state = State.ExtensionName;
          else return this.#fail(); // whitespace after the size too: Node's parser refuses it
          p++;
          break;
        }
        // Extensions as Node's parser reads them (strictly): no whitespace anywhere, a token or quoted value.
        case State.ExtensionName:
          if (byte === EQUALS) this.#state = State.ExtensionValueStart;
          else if (!this.#endsExtension(byte) && !isTokenByte(byte)) return this.#fail();
          p++;
          break;
        case State.ExtensionValueStart:
          if (byte === DQUOTE) this.#state = State.ExtensionQuoted;
          else if (isTokenByte(byte)) this.#state = State.ExtensionToken;
          else if (!this.#endsExtension(byte)) return this.#fail();
          p++;
          break;
        case State.ExtensionToken:
          if (!this.#endsExtension(byte) && !isTokenByte(byte)) return this.#fail();
          p++;
          break;
        case State.ExtensionQuoted:
          if (byte === DQUOTE) this.#state = State.ExtensionAfterQuoted;
          else if (byte === BACKSLASH) this.#state = State.ExtensionQuotedPair;
          else if ((byte < SP && byte !== HTAB) || byte === 0x7f) return this.#fail();
          p++;
          break;
        case State.ExtensionQuotedPair:
          if ((byte < SP && byte !== HTAB) || byte === 0x7f) return this.#fail();
          this.#state = State.ExtensionQuoted;
          p++;
          break;
        case State.ExtensionAfterQuoted:
          if (!this.#endsExtension(byte)) return this.#fail();
          p++;
          break;
        case State.SizeLf:
          if (byte !== LF) return this.#fail();
          p++;
          this.#digits = 0;
          this.#state = this.#remaining === 0 ? State.TrailerStart : State.Data;
          break;
        case State.Data: {
          const take = Math.min(this.#remaining, len - p);
          this.#remaining -= take;
          p += take;
          if (this.#remaining === 0) this.#state = State.DataCr;
          break;
        }
        case State.DataCr:
          if (byte !== CR) return this.#fail();
          this.#state = State.DataLf;
          p++;
          break;
        case State.DataLf:
          if (byte !== LF) return this.#fail();
          this.#state = State.Size;
          p++;
          break;
        case State.TrailerStart:
          if (byte === CR) this.#state = State.EndLf;
          else if (!isTokenByte(byte))
            return this.#fail(); // bare LF, obs-fold, not a field name
          else {
            this.#name = String.fromCharCode(byte | 0x20);
            this.#state = State.TrailerName;
          }
          p++;
          break;
        case State.TrailerName:
          if (byte === 0x3a /* : */) {
            if (FRAMING_TRAILERS.has(this.#name)) return this.#fail();
            this.#state = State.TrailerValue;
          } else if (!isTokenByte(byte)) return this.#fail();
          else if (this.#name.length <= MAX_COLLECTED_NAME) this.#name += String.fromCharCode(byte | 0x20);
          p++;
          break;
        case State.TrailerValue:
          if (byte === CR) this.#state = State.TrailerLf;
          else if (byte === LF || (byte < SP && byte !== HTAB) || byte === 0x7f) return this.#fail();
          p++;
          break;
        case State.TrailerLf:
          if (byte !== LF) return this.#fail();
          this.#state = State.TrailerStart;
          p++;
          break;
        case State.EndLf:
          if (byte !== LF) return this.#fail();
          this.#state = State.Done;
          return p + 1;
        case State.Done:
          return p;
        case State.Failed:
          return CHUNKED_INVALID;
      }
    }
    return this.#state === State.Done ? p : CHUNKED_MORE;
  }

  /** `;` starts the next extension, CR ends the size line; either moves the state on. */
  #endsExtension(byte: number): boolean {
    if (byte === SEMICOLON) this.#state = State.ExtensionName;
    else if (byte === CR) this.#state = State.SizeLf;
    else return false;
    return true;
  }

  #fail(): number {
    this.#state = State.Failed;
    return CHUNKED_INVALID;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
