import { describe, expect, it } from 'vitest';
import { createLineSplitter } from './line-splitter.js';

const split = (chunks: Array<string | Buffer>, maxChars = 8): string[] => {
  const lines: string[] = [];
  const splitter = createLineSplitter((l) => lines.push(l), maxChars);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return lines;
};

describe('createLineSplitter', () => {
  it.each([
    [['a\nb\n'], ['a', 'b']],
    [
      ['a', 'b\nc'],
      ['ab', 'c'],
    ],
    [['\n\n'], ['', '']],
    [['0123456789abc'], ['01234567', '89abc']],
    [
      ['0123', '4567', '89\n'],
      ['01234567', '89'],
    ],
    [[], []],
    [['0123456789abcdefgh\n'], ['01234567', '89abcdef', 'gh']],
    [['01234567\n'], ['01234567']],
  ])('%j → %j', (chunks, lines) => {
    expect(split(chunks)).toEqual(lines);
  });

  it('takes bytes as UTF-8 text', () => {
    expect(split([Buffer.from('héllo\n')])).toEqual(['héllo']);
  });
});
