import type { ApiError, SessionView } from '../server/api-types.js';

/** An error answer of the API, with its status, so pages can tell "not allowed" from "not found". */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint: string | undefined,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/**
 * The dashboard's only way to the server. The session cookie (HttpOnly) goes with every request by itself; the
 * CSRF token of the session is kept in memory only (not in storage a script of another page could read) and sent
 * as X-CSRF-Token on every POST and DELETE. A 401 means the session ended: `onUnauthorized` shows the login page.
 */
export class ApiClient {
  #csrfToken: string | null = null;

  constructor(private readonly onUnauthorized: () => void) {}

  /** Remembers the session's CSRF token (from login or GET /session); null forgets it. */
  useSession(session: SessionView | null): void {
    this.#csrfToken = session?.csrfToken ?? null;
  }

  get<T>(path: string, query: Record<string, string | number | null | undefined> = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query))
      if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
    const text = search.toString();
    return this.#request<T>('GET', text ? `${path}?${text}` : path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#request<T>('POST', path, body);
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.#csrfToken) headers['x-csrf-token'] = this.#csrfToken;
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (response.status === 204) return undefined as T;
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = isApiError(payload) ? payload : { error: `${response.status} ${response.statusText}` };
      // A failed login is a 401 too, but it is the login page's own answer to show.
      if (response.status === 401 && path !== '/login') this.onUnauthorized();
      throw new ApiRequestError(response.status, error.error, error.hint);
    }
    return payload as T;
  }
}

function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && typeof (value as ApiError).error === 'string';
}
