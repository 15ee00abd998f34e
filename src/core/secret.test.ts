import { describe, expect, it } from 'vitest';
import { redact, secretFragments } from './secret.js';

// A PEM key as a secret holds it: several lines, the last base64 line short, the armour lines common to all keys.
const PEM = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  'Zw==',
  '-----END PRIVATE KEY-----',
];
const LF = `${PEM.join('\n')}\n`;
const CRLF = `${PEM.join('\r\n')}\r\n`;

describe('redact', () => {
  it.each([
    // [what, text, secret values, shown]
    ['a one-line value', 'token=s3cr3t-token ok', ['s3cr3t-token'], 'token=[redacted] ok'],
    ['a value shorter than 3 characters stays', 'id=ab', ['ab'], 'id=ab'],
    ['a value read with its line end', 'token=s3cr3t-token', ['s3cr3t-token\n'], 'token=[redacted]'],
    ['a PEM line in a log line (LF value)', `key: ${PEM[1]}`, [LF], 'key: [redacted]'],
    ['a PEM line in a log line (CRLF value)', `${PEM[2]}`, [CRLF], '[redacted]'],
    ['a CRLF log line of an LF value keeps its CR', `${PEM[2]}\r`, [LF], '[redacted]\r'],
    ['the short last line of a key', 'Zw==', [LF], '[redacted]'],
    ['the armour lines too', `${PEM[0]} ${PEM[4]}`, [LF], '[redacted] [redacted]'],
    [
      'the whole value in one text, line by line (CRLF text, LF value)',
      `before\n${CRLF}after`,
      [LF],
      `before\n${PEM.map(() => '[redacted]\r\n').join('')}after`,
    ],
    ['the whole value at once, as one marker', `before ${LF}after`, [LF], 'before [redacted]after'],
    ['indented lines of a value', 'line two', ['line one\n    line two\n'], '[redacted]'],
    ['empty and short lines of a value stay', 'x\n\nxy\nfirst', ['first\n\nxy\n'], 'x\n\nxy\n[redacted]'],
    [
      'a value inside another one leaves nothing of the longer',
      'xabcdefx',
      ['abc', 'abcdef'],
      'x[redacted]x',
    ],
    ['overlapping values become one marker', 'abcdefghi!', ['abcdef', 'defghi'], '[redacted]!'],
    ['the marker is not searched again', 'act now', ['act', 'redacted'], '[redacted] now'],
    ['every occurrence', 'aaa-aaa', ['aaa'], '[redacted]-[redacted]'],
    ['nothing to redact', 'all good', [], 'all good'],
  ] as Array<[string, string, string[], string]>)('%s', (_what, text, secrets, shown) => {
    expect(redact(text, secrets)).toBe(shown);
  });

  it('never shows a line of a multi-line value, whichever line ends the log and the value use', () => {
    for (const value of [LF, CRLF, PEM.join('\r')]) {
      for (const log of [LF, CRLF]) {
        const shown = redact(log, [value]);
        for (const line of PEM) expect(shown).not.toContain(line);
      }
    }
  });
});

describe('secretFragments', () => {
  it('is the value and each of its lines of 3 or more characters, trimmed, once each', () => {
    expect(secretFragments(['ab', 'one\r\n  two  \n\nxy\none\n'])).toEqual([
      'one\r\n  two  \n\nxy\none\n',
      'one',
      'two',
    ]);
  });
});
