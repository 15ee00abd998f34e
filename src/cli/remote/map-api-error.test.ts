import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  InputError,
  NotFoundError,
  SlipwayError,
  UnknownNameError,
} from '../../core/errors.js';
import { mapApiError, mapNetworkError, REFUSED_TOKEN_HINT, REFUSED_TOKEN_MESSAGE } from './map-api-error.js';

const answer = (status: number, body: unknown, extra: { retryAfter?: string; statusText?: string } = {}) => ({
  status,
  statusText: extra.statusText ?? '',
  body: typeof body === 'string' ? body : JSON.stringify(body),
  retryAfter: extra.retryAfter ?? null,
  request: 'POST /api/v1/environments/production/deployments',
  server: 'http://127.0.0.1:8430',
});

describe('mapApiError', () => {
  it('401: says the token was refused and how to get one, whatever the server said', () => {
    const err = mapApiError(answer(401, { error: 'invalid bearer token' }));
    expect(err.message).toBe(REFUSED_TOKEN_MESSAGE);
    expect(err.hint).toBe(REFUSED_TOKEN_HINT);
    expect(err.hint).toContain('SLIPWAY_TOKEN');
    expect(err.hint).toContain('slipway token create');
  });

  it("403: keeps the server's words (which role, which environment) and says whom to ask", () => {
    const err = mapApiError(answer(403, { error: 'ci (viewer) may not deploy in production' }));
    expect(err.message).toBe('not allowed: ci (viewer) may not deploy in production');
    expect(err.hint).toContain('--role deployer:<env>');
    const withHint = mapApiError(answer(403, { error: 'CSRF token missing', hint: 'send X-CSRF-Token' }));
    expect(withHint.hint).toBe('send X-CSRF-Token');
  });

  it("maps 404 and 409 to the CLI's own classes with the server's hint", () => {
    const notFound = mapApiError(answer(404, { error: 'no deployment dx of hello', hint: 'see history' }));
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect([notFound.message, notFound.hint]).toEqual(['no deployment dx of hello', 'see history']);
    const locked = mapApiError(answer(409, { error: 'environment production is locked by ann' }));
    expect(locked).toBeInstanceOf(ConflictError);
    expect(locked.hint).toBeUndefined();
  });

  it("keeps the server's bad input bad input (the CLI exits 2 on it, as when the verb runs here)", () => {
    const unknown = mapApiError(
      answer(404, {
        error: 'no environment named "nope" in slipway.yml',
        hint: 'environments: production',
        badInput: true,
      }),
    );
    expect(unknown).toBeInstanceOf(UnknownNameError);
    expect([unknown.message, unknown.hint]).toEqual([
      'no environment named "nope" in slipway.yml',
      'environments: production',
    ]);
    expect(mapApiError(answer(400, { error: '--at "soon" is not a time', badInput: true }))).toBeInstanceOf(
      InputError,
    );
    expect(mapApiError(answer(404, { error: 'there are no releases of hello yet' }))).not.toBeInstanceOf(
      UnknownNameError,
    );
  });

  it('400 is the plain error; 429 says when to try again; 5xx points at the server log', () => {
    expect(mapApiError(answer(400, { error: 'no environment named "prod"' })).message).toBe(
      'no environment named "prod"',
    );
    expect(mapApiError(answer(429, { error: 'too many attempts' }, { retryAfter: '30' })).hint).toBe(
      'too many requests; try again in 30 s',
    );
    const failed = mapApiError(answer(500, { error: 'internal error' }));
    expect(failed.message).toBe(
      'the server failed on POST /api/v1/environments/production/deployments: internal error',
    );
    expect(failed.hint).toContain('http://127.0.0.1:8430');
  });

  it('an answer that is not Slipway JSON (a proxy page) says what answered instead of printing it', () => {
    const err = mapApiError(answer(502, '<html>Bad Gateway</html>', { statusText: 'Bad Gateway' }));
    expect(err.message).toContain('answered 502 Bad Gateway');
    expect(err.message).not.toContain('<html>');
    expect(mapApiError(answer(400, '{"message":"x"}')).message).toContain('not a Slipway API answer');
  });
});

describe('mapNetworkError', () => {
  const wrapped = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });

  it('names the URL and the reason, and where the URL came from', () => {
    const err = mapNetworkError(wrapped('ECONNREFUSED'), 'http://127.0.0.1:9');
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err.message).toBe('cannot reach the Slipway server at http://127.0.0.1:9: connection refused');
    expect(err.hint).toContain('SLIPWAY_SERVER');
    expect(mapNetworkError(wrapped('ENOTFOUND'), 'http://x').message).toContain('unknown host');
    const timeout = Object.assign(new Error('aborted'), { name: 'TimeoutError' });
    expect(mapNetworkError(timeout, 'http://x').message).toContain('timed out');
    expect(mapNetworkError(new Error('weird'), 'http://x').message).toContain('weird');
    const bare = new TypeError('fetch failed', { cause: new Error('bad port') });
    expect(mapNetworkError(bare, 'http://x').message).toBe(
      'cannot reach the Slipway server at http://x: bad port',
    );
  });
});
