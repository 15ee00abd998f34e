import type { CheckVars } from '../check-result.js';

/**
 * Replaces `{{release}}`, `{{stable}}` and `{{canary}}` (the canary's host:port) in a check's query or URL.
 * Returns the name of a placeholder that has no value (`{{stable}}` on a first deploy), or of one it does not
 * know, instead of sending a query that means something else.
 */
export function fillTemplate(template: string, vars: CheckVars): { text: string } | { missing: string } {
  const values = new Map<string, string | null>([
    ['release', vars.release],
    ['stable', vars.stable],
    ['canary', hostOf(vars.canaryUrl)],
  ]);
  const missing: string[] = [];
  const text = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, key: string) => {
    const value = values.get(key);
    if (value === undefined || value === null) {
      missing.push(key);
      return whole;
    }
    return value;
  });
  const [first] = missing;
  return first === undefined ? { text } : { missing: first };
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
