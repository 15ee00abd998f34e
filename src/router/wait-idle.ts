import type { RouterTarget } from './router-target.js';

export type IdleOutcome = 'idle' | 'timeout' | 'cancelled';

/** Resolves when `target` has nothing in flight, at the timeout, or when cancelled. */
export function waitIdle(
  target: RouterTarget,
  timeoutMs: number,
): { outcome: Promise<IdleOutcome>; cancel: () => void } {
  const wait = target.whenIdle();
  let timer: NodeJS.Timeout | undefined;
  let cancel = (): void => undefined;
  const outcome = new Promise<IdleOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    cancel = () => resolve('cancelled');
    void wait.idle.then(() => resolve('idle'));
  }).then((how) => {
    clearTimeout(timer);
    wait.cancel();
    return how;
  });
  return { outcome, cancel };
}
