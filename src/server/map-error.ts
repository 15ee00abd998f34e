import {
  ConfigError,
  ConflictError,
  DiskFullError,
  isBadInput,
  LockHeldError,
  NotFoundError,
  SlipwayError,
  StoreBusyError,
} from '../core/errors.js';
import type { ApiError } from './api-types.js';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 429 | 500 | 503;

/** An error meant for the client, with its HTTP status (auth refusals, bad parameters, a missing route). */
export class HttpError extends SlipwayError {
  constructor(
    readonly status: ErrorStatus,
    message: string,
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}

/**
 * An error as the API answers it. Slipway's own errors carry a message and hint written for users, so they are
 * passed on; anything else may hold internals (paths, SQL), so its text stays in the server's log only.
 */
export function mapError(err: unknown): { status: ErrorStatus; body: ApiError; unexpected: boolean } {
  const body = (e: SlipwayError): ApiError => ({
    error: e.message,
    ...(e.hint ? { hint: e.hint } : {}),
    ...(isBadInput(e) ? { badInput: true as const } : {}),
  });
  if (err instanceof HttpError) return { status: err.status, body: body(err), unexpected: false };
  if (err instanceof NotFoundError) return { status: 404, body: body(err), unexpected: false };
  if (err instanceof LockHeldError || err instanceof ConflictError)
    return { status: 409, body: body(err), unexpected: false };
  // The store cannot take the write now (another process holds it, or its disk is full): try again later.
  if (err instanceof StoreBusyError || err instanceof DiskFullError)
    return { status: 503, body: body(err), unexpected: false };
  if (err instanceof ConfigError || err instanceof SlipwayError)
    return { status: 400, body: body(err), unexpected: false };
  return {
    status: 500,
    body: { error: 'internal error', hint: "the server's log has the details" },
    unexpected: true,
  };
}
