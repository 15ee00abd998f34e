import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ConfigError, SlipwayError, StoreBusyError } from '../core/errors.js';
import { reportError } from './report-error.js';

const errno = (code: string, message: string, path?: string): Error =>
  Object.assign(new Error(message), { code, ...(path ? { path } : {}) });

function report(err: unknown): { code: number; text: string } {
  let text = '';
  const code = reportError(err, (t) => (text += t));
  return { code, text };
}

describe('reportError', () => {
  const table: Array<[string, unknown, number, string | RegExp]> = [
    ['a refusal with its hint', new SlipwayError('no', { hint: 'do this' }), 1, 'error: no\nhint: do this\n'],
    ['bad input', new ConfigError([{ path: 'app', message: 'required' }]), 2, /^error: 1 problem/],
    ['a usage error', new CommanderError(1, 'commander.missingArgument', 'missing'), 2, ''],
    [
      'a busy store',
      new StoreBusyError('/p/.slipway/slipway.db', 5000),
      1,
      /^error: the store \/p\/\.slipway\/slipway\.db is locked by another process: .*\nhint: [^\n]+\n$/,
    ],
    [
      'a full disk Node names the file of',
      errno('ENOSPC', "ENOSPC: no space left on device, open '/p/out.json'", '/p/out.json'),
      1,
      'error: no space left on the disk holding /p/out.json\nhint: free space on that disk ("df -h /p" shows what is left), then try again\n',
    ],
    [
      'a full disk without a file',
      errno('ENOSPC', 'ENOSPC: no space left on device, write'),
      1,
      'error: no space left on the disk: ENOSPC: no space left on device, write\nhint: free space on the disk being written ("df -h" shows what is left), then try again\n',
    ],
    [
      'a bug: with its stack',
      new TypeError('x is undefined'),
      1,
      /^unexpected error: TypeError: x is undefined\n\s+at /,
    ],
  ];
  it.each(table)('%s', (_name, err, code, text) => {
    const reported = report(err);
    expect(reported.code).toBe(code);
    if (typeof text === 'string') expect(reported.text).toBe(text);
    else expect(reported.text).toMatch(text);
  });
});
