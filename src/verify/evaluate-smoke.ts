import { formatDurationMs } from '../core/duration.js';
import { checkHeaders } from './check-headers.js';
import type { JsonScalar, SmokeRequestPlan } from './verify-suite.js';

/** An answer as the smoke runner saw it (header names lower-case). */
export interface SmokeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
}

/** `{{release}}` in an expectation stands for the version being verified. */
function fill(text: string, release: string): string {
  return text.replaceAll('{{release}}', release);
}

/** Every way the answer misses its expectations (empty: it passes). Pure. */
export function evaluateSmokeResponse(
  expect: SmokeRequestPlan['expect'],
  response: SmokeResponse,
  release: string,
): string[] {
  const problems: string[] = [];
  if (response.status !== expect.status)
    problems.push(`status ${response.status}, expected ${expect.status}`);
  if (response.durationMs > expect.withinMs) {
    problems.push(
      `answered in ${formatDurationMs(response.durationMs)}, limit ${formatDurationMs(expect.withinMs)}`,
    );
  }
  const wanted = Object.fromEntries(Object.entries(expect.headers).map(([k, v]) => [k, fill(v, release)]));
  problems.push(...checkHeaders(wanted, response.headers));
  for (const fragment of expect.body.map((f) => fill(f, release))) {
    if (!response.body.includes(fragment)) problems.push(`body lacks ${JSON.stringify(fragment)}`);
  }
  const fields = Object.entries(expect.json);
  if (fields.length > 0) problems.push(...checkJsonFields(expect.json, response.body, release));
  return problems;
}

function checkJsonFields(expected: Record<string, JsonScalar>, body: string, release: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return ['body is not JSON'];
  }
  const problems: string[] = [];
  for (const [path, raw] of Object.entries(expected)) {
    const want = typeof raw === 'string' ? fill(raw, release) : raw;
    const found = readJsonPath(parsed, path);
    if (!found.found) problems.push(`JSON field ${path} is missing`);
    else if (found.value !== want)
      problems.push(`JSON field ${path} is ${JSON.stringify(found.value)}, expected ${JSON.stringify(want)}`);
  }
  return problems;
}

/** Reads `a.b[0].c` (or `a.b.0.c`) from a parsed JSON value. Pure. */
export function readJsonPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k !== '');
  let current: unknown = value;
  for (const key of keys) {
    if (Array.isArray(current) && /^\d+$/.test(key)) {
      const index = Number(key);
      if (index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}
