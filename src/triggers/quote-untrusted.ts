/** At most this many characters of a sender's text are quoted in the ledger (a delivery id is 36). */
export const MAX_QUOTED_CHARS = 64;

// Control characters (C0, DEL, C1), format characters (bidi overrides, zero-width) and lone surrogates: they
// could rewrite a terminal or hide what a ledger line says.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;

/**
 * Text a sender chose (a header), made safe to quote in the ledger and on a terminal: unprintable characters
 * are stripped and what remains is cut to `maxChars` characters, ending in `…` when it was cut.
 */
export function quoteUntrusted(text: string, maxChars = MAX_QUOTED_CHARS): string {
  const chars = Array.from(text.replace(UNPRINTABLE, ''));
  return chars.length <= maxChars ? chars.join('') : `${chars.slice(0, maxChars - 1).join('')}…`;
}

/** Whether `text` is already what `quoteUntrusted` would make of it (nothing to strip, short enough). */
export function isQuotable(text: string, maxChars = MAX_QUOTED_CHARS): boolean {
  return quoteUntrusted(text, maxChars) === text;
}
