import { describe, expect, it } from 'vitest';
import { sharedSchema } from './shared-schema.js';

describe('shared', () => {
  it.each<[unknown, string[] | null]>([
    [undefined, []],
    [
      ['storage', 'uploads/', './var/db'],
      ['storage', 'uploads', 'var/db'],
    ],
    [['/srv/data'], null],
    [['../data'], null],
    [['.'], null],
    [['storage', 'storage/'], null],
    [['var', 'var/db'], null],
  ])('%j', (input, expected) => {
    const result = sharedSchema.safeParse(input);
    if (expected === null) expect(result.success).toBe(false);
    else expect(result.data).toEqual(expected);
  });
});
