/**
 * Headers that must be present, each with a text its value must contain ("" only asks for the header).
 * Names compare case-insensitively, values as written. Returns what is missing or wrong (empty: all there). Pure.
 */
export function checkHeaders(required: Record<string, string>, actual: Record<string, string>): string[] {
  const lower = new Map(Object.entries(actual).map(([k, v]) => [k.toLowerCase(), v]));
  const problems: string[] = [];
  for (const [name, contains] of Object.entries(required)) {
    const value = lower.get(name.toLowerCase());
    if (value === undefined) problems.push(`header ${name} is missing`);
    else if (contains !== '' && !value.includes(contains))
      problems.push(
        `header ${name} is ${JSON.stringify(value)}, expected it to contain ${JSON.stringify(contains)}`,
      );
  }
  return problems;
}
