import { describe, expect, it } from 'vitest';
import { editDistance, suggestClosest } from './suggest-key.js';

describe('suggestClosest', () => {
  const keys = ['kind', 'keepWarm', 'drainTimeout', 'healthyThreshold', 'unhealthyThreshold'];

  it.each([
    ['keepwarm', 'keepWarm'], // case only
    ['kepWarm', 'keepWarm'], // one letter missing
    ['keepWram', 'keepWarm'], // transposition
    ['drainTimout', 'drainTimeout'],
    ['healthyTreshold', 'healthyThreshold'],
    ['unhealthythreshold', 'unhealthyThreshold'],
  ])('%s → %s', (word, expected) => {
    expect(suggestClosest(word, keys)).toBe(expected);
  });

  it('suggests nothing for a word unlike every candidate', () => {
    expect(suggestClosest('owner', keys)).toBeUndefined();
    expect(suggestClosest('x', [])).toBeUndefined();
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ab', 'ba', 1],
    ['same', 'same', 0],
  ])('%s ↔ %s = %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});
