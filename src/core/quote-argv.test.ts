import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quoteArgv, quoteWord } from './quote-argv.js';

describe('quoteArgv', () => {
  it('leaves plain words alone and quotes the rest', () => {
    expect(quoteArgv(['df', '-Pk', '/var/lib/slipway'])).toBe('df -Pk /var/lib/slipway');
    expect(quoteWord('')).toBe("''");
    expect(quoteWord('a b')).toBe("'a b'");
    expect(quoteWord("it's")).toBe("'it'\\''s'");
    expect(quoteWord('~/x')).toBe("'~/x'");
    expect(quoteWord('=x')).toBe("'=x'");
    expect(quoteWord('a=b')).toBe('a=b');
    expect(quoteWord('+%s%3N')).toBe('+%s%3N');
    expect(() => quoteArgv([])).toThrow();
  });

  it('round-trips through a real shell', () => {
    const words = [
      'printf',
      '%s\\n',
      '',
      'a b',
      "it's",
      '$HOME',
      '`id`',
      '*',
      '~',
      'x;y',
      'line\nbreak',
      '"q"',
      '\\',
    ];
    const out = execFileSync('sh', ['-c', quoteArgv(words)], { encoding: 'utf8' });
    expect(out).toBe(`${words.slice(2).join('\n')}\n`);
  });
});
