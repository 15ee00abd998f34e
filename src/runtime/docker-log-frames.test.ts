import { describe, expect, it } from 'vitest';
import { encodeDockerLogFrame, parseDockerLogFrames } from './docker-log-frames.js';

describe('parseDockerLogFrames', () => {
  it('splits frames into lines per stream, joining a line cut across frames', () => {
    const buffer = Buffer.concat([
      encodeDockerLogFrame('out', 'hello\nwor'),
      encodeDockerLogFrame('err', 'oops\n'),
      encodeDockerLogFrame('out', 'ld\n'),
    ]);
    expect(parseDockerLogFrames(buffer)).toEqual([
      { stream: 'out', line: 'hello' },
      { stream: 'err', line: 'oops' },
      { stream: 'out', line: 'world' },
    ]);
  });

  it('keeps a last line without a newline and ignores a truncated header', () => {
    const buffer = Buffer.concat([encodeDockerLogFrame('err', 'no newline'), Buffer.from([1, 0, 0])]);
    expect(parseDockerLogFrames(buffer)).toEqual([{ stream: 'err', line: 'no newline' }]);
  });
});
