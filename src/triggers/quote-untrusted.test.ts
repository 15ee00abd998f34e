import { describe, expect, it } from 'vitest';
import { isQuotable, MAX_QUOTED_CHARS, quoteUntrusted } from './quote-untrusted.js';

describe('quoteUntrusted', () => {
  it.each([
    ['0f1e2d3c-aaaa-bbbb-cccc-1234567890ab', '0f1e2d3c-aaaa-bbbb-cccc-1234567890ab'],
    ['d-1\u001b[2J\r\nforged line', 'd-1[2Jforged line'],
    ['\u0000\u007f\u009bnul, del and CSI', 'nul, del and CSI'],
    ['bidi \u202eoverride\u200b', 'bidi override'],
    ['lone \ud800surrogate', 'lone surrogate'],
    ['ünïcødé 🚀', 'ünïcødé 🚀'],
  ])('%j → %j', (text, quoted) => {
    expect(quoteUntrusted(text)).toBe(quoted);
  });

  it('cuts long text to the limit, ending in an ellipsis, without splitting a character', () => {
    expect(quoteUntrusted('x'.repeat(100_000))).toBe(`${'x'.repeat(MAX_QUOTED_CHARS - 1)}…`);
    expect(quoteUntrusted('🚀'.repeat(10), 4)).toBe('🚀🚀🚀…');
    expect(quoteUntrusted('x'.repeat(MAX_QUOTED_CHARS))).toBe('x'.repeat(MAX_QUOTED_CHARS));
  });

  it('tells text that is quoted as it is from text that is not', () => {
    expect(isQuotable('0f1e2d3c-aaaa-bbbb-cccc-1234567890ab')).toBe(true);
    expect(isQuotable('x'.repeat(MAX_QUOTED_CHARS + 1))).toBe(false);
    expect(isQuotable('d-\u0085')).toBe(false);
  });
});
