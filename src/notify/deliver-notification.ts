import { setTimeout as sleep } from 'node:timers/promises';

export interface DeliveryOptions {
  timeoutMs: number;
  /** Further attempts after the first. */
  retries: number;
  initialBackoffMs: number;
}

export type DeliveryResult = { ok: true; attempts: number } | { ok: false; attempts: number; error: string };

/**
 * POSTs a JSON body, retrying network errors, timeouts, 408, 429 and 5xx with doubling backoff. Never throws:
 * the caller records a failure; a notification must not fail the deployment it reports on.
 */
export async function deliverNotification(
  url: string,
  body: unknown,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const payload = JSON.stringify(body);
  let error = '';
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    if (attempt > 1) await sleep(options.initialBackoffMs * 2 ** (attempt - 2));
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'slipway-notifier' },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: 'error',
      });
      await response.body?.cancel();
      if (response.ok) return { ok: true, attempts: attempt };
      error = `HTTP ${response.status}`;
      if (!isRetryableStatus(response.status)) return { ok: false, attempts: attempt, error };
    } catch (err) {
      error = describeFetchError(err, options.timeoutMs);
    }
  }
  return { ok: false, attempts: options.retries + 1, error };
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs}ms`;
  }
  const cause =
    err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return cause.code;
  return err instanceof Error ? (cause?.message ?? err.message) : String(err);
}
