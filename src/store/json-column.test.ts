import { describe, expect, it } from 'vitest';
import { parseJsonColumn, serializeJsonColumn } from './json-column.js';

describe('JSON columns', () => {
  it.each([
    ['an object', { a: 1, nested: ['x', null] }],
    ['a string', 'hello'],
    ['null', null],
    ['zero', 0],
  ])('round-trips %s', (_, value) => {
    expect(parseJsonColumn(serializeJsonColumn(value))).toEqual(value);
  });

  it('stores undefined and functions as SQL NULL and reads NULL back as undefined', () => {
    expect(serializeJsonColumn(undefined)).toBeNull();
    expect(serializeJsonColumn(() => 1)).toBeNull();
    expect(parseJsonColumn(null)).toBeUndefined();
  });
});
