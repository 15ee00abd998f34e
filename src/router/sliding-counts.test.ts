import { describe, expect, it } from 'vitest';
import { SlidingCounts } from './sliding-counts.js';

describe('SlidingCounts', () => {
  it('sums the slices of the window and forgets what is older', () => {
    const w = new SlidingCounts(2, 3, 1_000); // 3 s in 1 s slices
    w.add(0, 0);
    w.add(500, 0);
    w.add(1_200, 1, 5);
    expect(w.totals(1_999)).toEqual([2, 5]);
    w.add(2_100, 0);
    expect(w.totals(2_999)).toEqual([3, 5]);
    expect(w.totals(3_000)).toEqual([1, 5]); // the slice of 0–999 ms left the window
    expect(w.totals(4_500)).toEqual([1, 0]);
    expect(w.totals(60_000)).toEqual([0, 0]); // far later: everything forgotten
  });

  it('counts time that goes backwards in the newest slice', () => {
    const w = new SlidingCounts(1, 3, 1_000);
    w.add(5_000, 0);
    w.add(1_000, 0);
    expect(w.totals(5_500)).toEqual([2]);
  });

  it('fills a caller-owned array', () => {
    const w = new SlidingCounts(2, 2, 10);
    const into = [9, 9];
    w.add(1, 1);
    expect(w.totals(1, into)).toBe(into);
    expect(into).toEqual([0, 1]);
  });
});
