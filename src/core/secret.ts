/**
 * A secret value. It prints as [redacted] everywhere (toString, JSON, util.inspect); only `reveal()` gives the
 * value, and that is called at the one edge where a target's environment is built.
 */
const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;
  constructor(
    readonly name: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.name})`;
  }
}

/** Shorter pieces of a secret are left as they are: hiding every `ab` of a log would hide the log. */
export const MIN_REDACTED_LENGTH = 3;

/**
 * What of each secret value must not be shown: the value itself, and each line of a value that spans lines
 * (a PEM key), because logs are read and shown line by line. A line is taken without its line end (LF, CRLF or
 * CR) and surrounding whitespace (indentation); lines shorter than MIN_REDACTED_LENGTH are left out. Common
 * lines such as `-----END PRIVATE KEY-----` are redacted too: hiding them only hides text.
 */
export function secretFragments(secretValues: readonly string[]): string[] {
  const fragments = new Set<string>();
  for (const value of secretValues) {
    fragments.add(value);
    for (const line of value.split(/\r\n|\r|\n/)) fragments.add(line.trim());
  }
  return [...fragments].filter((f) => f.length >= MIN_REDACTED_LENGTH);
}

/**
 * Replaces every occurrence of each secret value, and of each line of a multi-line one (secretFragments), by the
 * redaction marker: for logs, errors and stderr tails. Where occurrences overlap or touch, the whole stretch
 * becomes one marker, so no character of any of them is left; the marker itself is never searched again.
 */
export function redact(text: string, secretValues: readonly string[]): string {
  const spans: Array<[start: number, end: number]> = [];
  for (const fragment of secretFragments(secretValues)) {
    for (let at = text.indexOf(fragment); at >= 0; at = text.indexOf(fragment, at + 1))
      spans.push([at, at + fragment.length]);
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Array<[start: number, end: number]> = [];
  for (const [start, end] of spans) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  let out = '';
  let shown = 0; // text before this index is in `out` already
  for (const [start, end] of merged) {
    out += text.slice(shown, start) + REDACTED;
    shown = end;
  }
  return out + text.slice(shown);
}
