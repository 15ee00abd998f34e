import { describe, expect, it } from 'vitest';
import { selectLeastOutstanding, selectLeastOutstandingOtherThan } from './least-outstanding.js';

const loads =
  (table: Record<string, number>) =>
  (id: string): number =>
    table[id] ?? 0;

interface Case {
  name: string;
  members: string[];
  inFlight: Record<string, number>;
  n: number;
  expected: string | null;
}

describe('selectLeastOutstanding', () => {
  it.each<Case>([
    { name: 'no member', members: [], inFlight: {}, n: 0, expected: null },
    { name: 'one member', members: ['a'], inFlight: { a: 7 }, n: 5, expected: 'a' },
    {
      name: 'the least loaded',
      members: ['a', 'b', 'c'],
      inFlight: { a: 2, b: 0, c: 1 },
      n: 0,
      expected: 'b',
    },
    {
      name: 'whatever the turn',
      members: ['a', 'b', 'c'],
      inFlight: { a: 2, b: 3, c: 1 },
      n: 1,
      expected: 'c',
    },
    { name: 'a tie: the turn decides', members: ['a', 'b', 'c'], inFlight: {}, n: 1, expected: 'b' },
    { name: 'a tie: turns wrap around', members: ['a', 'b', 'c'], inFlight: {}, n: 5, expected: 'c' },
    {
      name: 'a tie among the least loaded: the first from the turn',
      members: ['a', 'b', 'c'],
      inFlight: { a: 1, b: 4, c: 1 },
      n: 1,
      expected: 'c',
    },
  ])('$name', ({ members, inFlight, n, expected }) => {
    expect(selectLeastOutstanding(members, loads(inFlight), n)).toBe(expected);
  });

  it('takes turns among idle members: an even spread', () => {
    const picks = Array.from({ length: 9 }, (_, n) => selectLeastOutstanding(['a', 'b', 'c'], () => 0, n));
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('fills the least loaded first as requests stay outstanding', () => {
    const table: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let n = 0; n < 6; n++) {
      const id = selectLeastOutstanding(['a', 'b', 'c'], loads(table), 0) as string;
      table[id] = (table[id] ?? 0) + 1;
    }
    expect(table).toEqual({ a: 2, b: 2, c: 2 });
  });
});

describe('selectLeastOutstandingOtherThan', () => {
  it.each([
    { name: 'another member', members: ['a', 'b'], excluded: 'a', n: 0, expected: 'b' },
    {
      name: 'even when the excluded is idlest',
      members: ['a', 'b', 'c'],
      excluded: 'c',
      n: 2,
      expected: 'a',
    },
    { name: 'none left', members: ['a'], excluded: 'a', n: 0, expected: null },
    { name: 'an excluded that is no member', members: ['a', 'b'], excluded: 'z', n: 1, expected: 'b' },
  ])('$name', ({ members, excluded, n, expected }) => {
    expect(selectLeastOutstandingOtherThan(members, excluded, loads({ a: 1, b: 1, c: 0 }), n)).toBe(expected);
  });
});
