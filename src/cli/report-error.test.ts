import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  InputError,
  NotFoundError,
  SlipwayError,
  StoreBusyError,
  UnknownNameError,
} from '../core/errors.js';
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
      'an environment that is not there (bad input, as the README says)',
      new UnknownNameError('no environment named "nope" in slipway.yml', {
        hint: 'environments: production',
      }),
      2,
      'error: no environment named "nope" in slipway.yml\nhint: environments: production\n',
    ],
    ['an argument that cannot be used', new InputError('--at "soon" is not a time'), 2, /^error: --at/],
    [
      'something not found that the command did not name (state, not input)',
      new NotFoundError('there are no releases of hello yet'),
      1,
      'error: there are no releases of hello yet\n',
    ],
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
