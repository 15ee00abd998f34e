import {
  ConflictError,
  InputError,
  NotFoundError,
  SlipwayError,
  UnknownNameError,
} from '../../core/errors.js';

/** What came back from the server for a request that did not succeed. */
export interface FailedAnswer {
  status: number;
  statusText: string;
  /** The body as text (an `ApiError` JSON from Slipway; anything from a proxy in front of it). */
  body: string;
  /** The Retry-After header of a 429, in seconds. */
  retryAfter: string | null;
  /** e.g. `POST /api/v1/environments/production/deployments`, for messages. */
  request: string;
  /** The server's base URL, for messages. */
  server: string;
}

export const REFUSED_TOKEN_MESSAGE = 'the server refused the token (unknown, revoked or expired)';
export const REFUSED_TOKEN_HINT =
  'set SLIPWAY_TOKEN to a token from `slipway token create` (run on the server by an admin)';

/**
 * Turns a failed answer into the error the CLI prints (`error:` / `hint:`), pure. The server's own `error` and
 * `hint` are kept; 401 and 403 say what to fix, since the server's words there are about the request, not the
 * remedy on this side.
 */
export function mapApiError(answer: FailedAnswer): SlipwayError {
  const parsed = parseApiError(answer.body);
  const message = parsed?.error ?? describeNonApiAnswer(answer);
  const hint = parsed?.hint;
  // The server's bad input is the CLI's bad input (exit 2), as when the verb runs here.
  if (parsed?.badInput && (answer.status === 404 || answer.status === 400)) {
    const options = hint === undefined ? undefined : { hint };
    return answer.status === 404 ? new UnknownNameError(message, options) : new InputError(message, options);
  }
  switch (answer.status) {
    case 401:
      return new SlipwayError(REFUSED_TOKEN_MESSAGE, { hint: REFUSED_TOKEN_HINT });
    case 403:
      return new SlipwayError(`not allowed: ${message}`, {
        hint:
          hint ??
          'ask an admin for a token whose role covers this (e.g. `slipway token create --role deployer:<env>`)',
      });
    case 404:
      return new NotFoundError(message, hint === undefined ? undefined : { hint });
    case 409:
      return new ConflictError(message, hint === undefined ? undefined : { hint });
    case 429:
      return new SlipwayError(message, {
        hint:
          hint ??
          `too many requests; try again${answer.retryAfter ? ` in ${answer.retryAfter} s` : ' later'}`,
      });
    default:
      if (answer.status >= 500) {
        return new SlipwayError(`the server failed on ${answer.request}: ${message}`, {
          hint: hint ?? `the details are in the log of the server at ${answer.server}`,
        });
      }
      return new SlipwayError(message, hint === undefined ? undefined : { hint });
  }
}

/** A network failure (nothing answered) as the CLI prints it: which URL, and why. */
export function mapNetworkError(err: unknown, server: string): SlipwayError {
  const code = networkCode(err);
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'unknown host'
        : code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'TimeoutError'
          ? 'timed out'
          : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
            ? 'the connection was reset'
            : (code ?? innermostMessage(err));
  return new SlipwayError(`cannot reach the Slipway server at ${server}: ${why}`, {
    cause: err,
    hint: 'is `slipway server` running there? The URL comes from --server or SLIPWAY_SERVER',
  });
}

/** `fetch failed` says nothing; the cause's message does (e.g. `bad port`). */
function innermostMessage(err: unknown): string {
  let e = err;
  for (let depth = 0; depth < 4 && e instanceof Error && e.cause instanceof Error; depth++) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

function parseApiError(body: string): { error: string; hint?: string; badInput?: boolean } | null {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) return null;
    const { error, hint, badInput } = value as Record<string, unknown>;
    if (typeof error !== 'string') return null;
    return {
      error,
      ...(typeof hint === 'string' ? { hint } : {}),
      ...(badInput === true ? { badInput } : {}),
    };
  } catch {
    return null;
  }
}

/** A proxy's HTML page or an empty body: say what answered rather than print the page. */
function describeNonApiAnswer(answer: FailedAnswer): string {
  return `${answer.request} answered ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ''} (not a Slipway API answer; is ${answer.server} a Slipway server?)`;
}

/** fetch (undici) wraps the socket's error as `cause`; an abort by timeout is a DOMException named TimeoutError. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    if (typeof e !== 'object') break;
    const { code, name, cause } = e as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === 'string') return code;
    if (name === 'TimeoutError') return 'TimeoutError';
    e = cause;
  }
  return undefined;
}
