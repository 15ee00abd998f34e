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

/** Replaces every occurrence of each secret value in text (for logs, errors and stderr tails). */
export function redact(text: string, secretValues: readonly string[]): string {
  let out = text;
  for (const value of secretValues) {
    if (value.length >= 3) out = out.split(value).join(REDACTED);
  }
  return out;
}
