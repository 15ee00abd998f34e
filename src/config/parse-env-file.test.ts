import { describe, expect, it } from 'vitest';
import { parseEnvFile } from './parse-env-file.js';

describe('parseEnvFile', () => {
  it('reads NAME=value lines, skipping comments and blank lines', () => {
    const text = [
      '# production secrets',
      '',
      'DATABASE_URL=postgres://app:pw@db/app',
      '  API_KEY = abc123  ',
      'export STRIPE_KEY=sk_live_1',
      'EMPTY=',
      'WITH_HASH=abc#def',
      'TRAILING=value # a comment',
    ].join('\n');
    expect(parseEnvFile(text, 's.env')).toEqual({
      values: {
        DATABASE_URL: 'postgres://app:pw@db/app',
        API_KEY: 'abc123',
        STRIPE_KEY: 'sk_live_1',
        EMPTY: '',
        WITH_HASH: 'abc#def',
        TRAILING: 'value',
      },
      issues: [],
    });
  });

  it('takes single-quoted values as written and unescapes double-quoted ones', () => {
    const text = [
      `SINGLE='a "b" \\n # c'`,
      'DOUBLE="line1\\nline2 \\"q\\" \\\\ # kept"',
      'SPACES="  padded  " # note',
    ].join('\n');
    expect(parseEnvFile(text, 's.env').values).toEqual({
      SINGLE: 'a "b" \\n # c',
      DOUBLE: 'line1\nline2 "q" \\ # kept',
      SPACES: '  padded  ',
    });
  });

  it('lets a later line win and accepts CRLF line ends', () => {
    expect(parseEnvFile('A=1\r\nA=2\r\n', 's.env').values).toEqual({ A: '2' });
  });

  it('reports malformed lines with their line numbers', () => {
    const { issues } = parseEnvFile(['OK=1', 'not a line', '1BAD=x', 'OPEN="unclosed'].join('\n'), 's.env');
    expect(issues.map((i) => [i.file, i.line])).toEqual([
      ['s.env', 2],
      ['s.env', 3],
      ['s.env', 4],
    ]);
    expect(issues[2]?.path).toBe('OPEN');
  });
});
