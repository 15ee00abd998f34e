import { describe, expect, it } from 'vitest';
import { parseAtOption } from './parse-at.js';

const NOW = Date.parse('2026-11-26T10:00:00Z');

describe('--at', () => {
  it.each([
    ['+10m', 'UTC', '2026-11-26T10:10:00Z'],
    ['+1h30m', 'UTC', '2026-11-26T11:30:00Z'],
    ['2026-11-27T08:00:00Z', 'Europe/Berlin', '2026-11-27T08:00:00Z'],
    ['2026-11-27T09:00:00+01:00', 'UTC', '2026-11-27T08:00:00Z'],
    ['2026-11-27 09:00', 'Europe/Berlin', '2026-11-27T08:00:00Z'],
    ['2026-11-27 09:00', 'UTC', '2026-11-27T09:00:00Z'],
  ])('%s in %s', (text, zone, iso) => {
    expect(parseAtOption(text, zone, NOW)).toBe(Date.parse(iso));
  });

  it.each(['tomorrow', '+soon', '27.11.2026 09:00'])('refuses %s with a hint', (text) => {
    expect(() => parseAtOption(text, 'UTC', NOW)).toThrow(`--at "${text}" is not a time`);
  });
});
