import { performance } from 'node:perf_hooks';
import { Agent, fetch } from 'undici';
import { formatDurationMs } from '../core/duration.js';
import type { Endpoint } from './endpoint.js';
import { evaluateSmokeResponse, type SmokeResponse } from './evaluate-smoke.js';
import type { VerificationCheck, VerificationKind } from './verification-check.js';
import type { SmokeRequestPlan } from './verify-suite.js';

const MAX_BODY_CHARS = 1_000_000;

/** Sends one request (redirects are not followed: a 301 is an answer). Throws on network errors and timeouts. */
export async function fetchAnswer(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | null;
    timeoutMs: number;
    ca?: string[] | null;
  },
): Promise<SmokeResponse> {
  // One connection per check, closed afterwards: a check measures a fresh answer and leaves nothing open.
  const dispatcher = new Agent({ connect: init.ca ? { ca: init.ca } : {} });
  try {
    const started = performance.now();
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      ...(init.body != null ? { body: init.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(init.timeoutMs),
      dispatcher,
    });
    const body = (await response.text()).slice(0, MAX_BODY_CHARS);
    const durationMs = performance.now() - started;
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name] = value));
    return { status: response.status, headers, body, durationMs };
  } finally {
    await dispatcher.close();
  }
}

export function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'no answer in time';
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}

/** Runs one smoke request against the environment and judges its answer. Never throws. */
export async function runSmokeRequest(
  endpoint: Endpoint,
  request: SmokeRequestPlan,
  release: string,
  kind: VerificationKind = 'smoke',
  namePrefix = '',
): Promise<VerificationCheck> {
  const name = `${namePrefix}${request.name}`;
  try {
    const answer = await fetchAnswer(`${endpoint.baseUrl}${request.path}`, {
      ca: endpoint.ca,
      method: request.method,
      headers: request.headers,
      body: request.body,
      timeoutMs: request.expect.withinMs,
    });
    const problems = evaluateSmokeResponse(request.expect, answer, release);
    return {
      name,
      kind,
      passed: problems.length === 0,
      measured: { status: answer.status, durationMs: Math.round(answer.durationMs) },
      message: problems.length
        ? problems.join('; ')
        : `${answer.status} in ${formatDurationMs(answer.durationMs)}`,
    };
  } catch (err) {
    return {
      name,
      kind,
      passed: false,
      measured: { status: null, durationMs: null },
      message: `${request.method} ${request.path} failed: ${describeFetchError(err)} (limit ${formatDurationMs(request.expect.withinMs)})`,
    };
  }
}
