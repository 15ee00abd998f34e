/**
 * JSON lives in text columns so that SQLite and PostgreSQL share one schema. Absent values are SQL NULL
 * and read back as `undefined`.
 */
export function serializeJsonColumn(value: unknown): string | null {
  if (value === undefined) return null;
  // JSON.stringify answers undefined for functions and symbols; store those as absent too.
  const text: string | undefined = JSON.stringify(value);
  return text ?? null;
}

export function parseJsonColumn(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}
