/**
 * Counts over a sliding window of time: `slices` slices of `sliceMs` each, every slice a row of `width` counters.
 * The caller passes the time in (a monotonic clock), so this stays pure and testable. A slice older than the window
 * is cleared when the time reaches past it; time that goes backwards counts in the newest slice.
 */
export class SlidingCounts {
  readonly #rows: number[][];
  readonly #sliceMs: number;
  /** The slice number (time / sliceMs) of the newest row; -Infinity before the first count. */
  #newest = Number.NEGATIVE_INFINITY;

  constructor(
    readonly width: number,
    readonly slices: number,
    sliceMs: number,
  ) {
    if (!(width >= 1 && slices >= 1 && sliceMs > 0)) throw new RangeError('SlidingCounts needs a size');
    this.#sliceMs = sliceMs;
    this.#rows = Array.from({ length: slices }, () => new Array<number>(width).fill(0));
  }

  get windowMs(): number {
    return this.#sliceMs * this.slices;
  }

  add(nowMs: number, index: number, n = 1): void {
    const row = this.#rowAt(nowMs);
    row[index] = (row[index] as number) + n;
  }

  /** The sums over the window ending at `nowMs`, into `into` (reused by the caller) or a new array. */
  totals(nowMs: number, into: number[] = new Array<number>(this.width)): number[] {
    this.#advance(nowMs);
    into.fill(0, 0, this.width);
    for (const row of this.#rows)
      for (let i = 0; i < this.width; i++) into[i] = (into[i] as number) + (row[i] as number);
    return into;
  }

  #rowAt(nowMs: number): number[] {
    this.#advance(nowMs);
    return this.#rows[modulo(this.#newest, this.slices)] as number[];
  }

  /** Moves the newest slice up to `nowMs`, clearing the rows it passes (at most the whole window). */
  #advance(nowMs: number): void {
    const slice = Math.floor(nowMs / this.#sliceMs);
    if (slice <= this.#newest) return;
    if (slice - this.#newest >= this.slices) {
      for (const row of this.#rows) row.fill(0);
    } else {
      for (let s = this.#newest + 1; s <= slice; s++)
        (this.#rows[modulo(s, this.slices)] as number[]).fill(0);
    }
    this.#newest = slice;
  }
}

function modulo(n: number, m: number): number {
  return ((n % m) + m) % m;
}
