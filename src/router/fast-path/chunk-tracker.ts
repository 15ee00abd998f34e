import { CR, HTAB, LF, SP } from './header-fields.js';

/** Where the tracker is inside a chunked body (RFC 9112 §7.1). */
const enum State {
  Size,
  /** After the size: optional whitespace, then an extension or CRLF. */
  AfterSize,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  /** The start of a trailer line, or the final CRLF. */
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
  Failed,
}

const SEMICOLON = 0x3b;

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
          else if (byte === SEMICOLON) this.#state = State.Extension;
          else if (byte === SP || byte === HTAB) this.#state = State.AfterSize;
          else return this.#fail();
          p++;
          break;
        }
        case State.AfterSize:
          if (byte === CR) this.#state = State.SizeLf;
          else if (byte === SEMICOLON) this.#state = State.Extension;
          else if (byte !== SP && byte !== HTAB) return this.#fail();
          p++;
          break;
        case State.Extension:
          if (byte === CR) this.#state = State.SizeLf;
          else if (byte === LF || (byte < SP && byte !== HTAB) || byte === 0x7f) return this.#fail();
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
          else if (byte === LF || byte === SP || byte === HTAB) return this.#fail();
          else this.#state = State.Trailer;
          p++;
          break;
        case State.Trailer:
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
