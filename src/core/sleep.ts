import { MAX_TIMER_MS } from './duration.js';

/**
 * Waits ms, or rejects as soon as `abort` fires. A wait longer than a timer holds (2^31-1 ms; Node fires a longer
 * one at once) is waited in steps: a plan stored before such durations were refused may still ask for one.
 */
export async function sleepUnlessAborted(ms: number, abort: AbortSignal): Promise<void> {
  let left = ms;
  do {
    const step = Math.min(left, MAX_TIMER_MS);
    await sleepOnce(step, abort);
    left -= step;
  } while (left > 0);
}

function sleepOnce(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (abort.aborted) {
      reject(abort.reason instanceof Error ? abort.reason : new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      abort.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abort.reason instanceof Error ? abort.reason : new Error('aborted'));
    };
    abort.addEventListener('abort', onAbort, { once: true });
  });
}
