import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import { countOption, parseIntegerOption, parsePortOption, portOption } from './parse-options.js';

// The CLI's whole-number options, one parser for all: a bad value is bad input (exit 2) that names the option,
// the value as typed, and the range.

describe('a port option', () => {
  it.each<[string, boolean, number]>([
    ['1', false, 1],
    ['8080', false, 8080],
    ['65535', false, 65535],
    [' 8421 ', false, 8421],
    ['08080', false, 8080],
    ['0', true, 0],
    ['65535', true, 65535],
  ])('takes %j (0 allowed: %s)', (text, allowZero, port) => {
    expect(parsePortOption('--port', text, { allowZero })).toBe(port);
    expect(portOption('--port', { allowZero })(text)).toBe(port);
  });

  it.each<[string, boolean, string]>([
    ['70000', false, '--port "70000" is not a port: expected a whole number from 1 to 65535'],
    ['65536', false, '--port "65536" is not a port: expected a whole number from 1 to 65535'],
    ['0', false, '--port "0" is not a port: expected a whole number from 1 to 65535'],
    ['abc', false, '--port "abc" is not a port: expected a whole number from 1 to 65535'],
    ['', false, '--port "" is not a port: expected a whole number from 1 to 65535'],
    ['-1', false, '--port "-1" is not a port: expected a whole number from 1 to 65535'],
    ['80.5', false, '--port "80.5" is not a port: expected a whole number from 1 to 65535'],
    ['1e3', false, '--port "1e3" is not a port: expected a whole number from 1 to 65535'],
    ['0x50', false, '--port "0x50" is not a port: expected a whole number from 1 to 65535'],
    ['+80', false, '--port "+80" is not a port: expected a whole number from 1 to 65535'],
    ['8o80', false, '--port "8o80" is not a port: expected a whole number from 1 to 65535'],
    ['70000', true, '--port "70000" is not a port: expected a whole number from 0 to 65535'],
    ['-1', true, '--port "-1" is not a port: expected a whole number from 0 to 65535'],
  ])(
    'refuses %j (0 allowed: %s) as bad input naming the option and the range',
    (text, allowZero, message) => {
      const attempt = (): number => portOption('--port', { allowZero })(text);
      expect(attempt).toThrow(InputError);
      expect(attempt).toThrow(message);
    },
  );

  it('hints at a good value, and at 0 where it picks a free port', () => {
    const hint = (allowZero: boolean): string | undefined => {
      try {
        parsePortOption('--port', 'x', { allowZero });
      } catch (err) {
        return (err as InputError).hint;
      }
      return undefined;
    };
    expect(hint(false)).toBe('e.g. --port 8080');
    expect(hint(true)).toBe('e.g. --port 8430, or --port 0 for a free one');
  });
});

describe('a count option', () => {
  it.each<[string, number, number]>([
    ['1', 1, 1],
    ['30', 1, 30],
    ['0', 0, 0],
    ['9007199254740991', 0, Number.MAX_SAFE_INTEGER],
  ])('takes %j (at least %d)', (text, min, value) => {
    expect(countOption('--limit', 'a number of events', min)(text)).toBe(value);
  });

  it.each<[string, number, string]>([
    ['0', 1, '--limit "0" is not a number of events: expected a whole number 1 or more'],
    ['-5', 0, '--limit "-5" is not a number of events: expected a whole number 0 or more'],
    ['ten', 1, '--limit "ten" is not a number of events: expected a whole number 1 or more'],
    ['2.5', 1, '--limit "2.5" is not a number of events: expected a whole number 1 or more'],
    ['9007199254740993', 1, 'expected a whole number 1 or more'],
  ])('refuses %j (at least %d)', (text, min, message) => {
    const attempt = (): number => countOption('--limit', 'a number of events', min)(text);
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });

  it('the general parser takes any range', () => {
    const range = { what: 'a weight', min: 0, max: 100, example: '--weight 10' };
    expect(parseIntegerOption('--weight', '100', range)).toBe(100);
    expect(() => parseIntegerOption('--weight', '101', range)).toThrow(
      '--weight "101" is not a weight: expected a whole number from 0 to 100',
    );
  });
});
