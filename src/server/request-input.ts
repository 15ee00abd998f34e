import type { z } from 'zod';
import { HttpError } from './map-error.js';
import type { ServerContext } from './server-env.js';

/** A path parameter the route pattern guarantees. */
export function pathParam(c: ServerContext, name: string): string {
  const value = c.req.param(name);
  if (value === undefined) throw new HttpError(400, `missing path parameter ${name}`);
  return value;
}

/** A whole number from the query string, within bounds (a bad value is the client's error, not a default). */
export function queryInt(c: ServerContext, name: string, fallback: number, max: number): number {
  const text = c.req.query(name);
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new HttpError(400, `${name} must be a whole number from 1 to ${max}, not "${text}"`);
  }
  return value;
}

export function queryText(c: ServerContext, name: string): string | undefined {
  const text = c.req.query(name);
  return text === undefined || text === '' ? undefined : text;
}

/** The JSON body checked against a (strict) schema; an empty body is `{}`. */
export async function jsonBody<T>(c: ServerContext, schema: z.ZodType<T>): Promise<T> {
  const raw = await c.req.text();
  let parsed: unknown = {};
  if (raw.trim() !== '') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'the request body is not JSON');
    }
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new HttpError(400, `bad request body: ${issues.join('; ')}`);
  }
  return result.data;
}
