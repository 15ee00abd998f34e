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

export interface DrainResult {
  /** True when every in-flight request finished before the timeout. */
  drained: boolean;
  /** Requests (and tunnels) still open at the timeout; they were cut when the target was removed. */
  abandoned: number;
  /** The target became active again before it drained; it was kept. */
  cancelled?: boolean;
}

/** A router's drains in progress, by target id: a second drain joins the first; a switch back cancels it. */
export type Draining = Map<string, { result: Promise<DrainResult>; cancel: () => void }>;

/**
 * Waits until the target `id` of `targets` has nothing in flight (or `timeoutMs` passes), then removes and closes
 * it (destroys it when something was still open). An unknown id is drained at once.
 */
export function drainTarget(
  targets: Map<string, RouterTarget>,
  draining: Draining,
  id: string,
  timeoutMs: number,
): Promise<DrainResult> {
  const running = draining.get(id);
  if (running !== undefined) return running.result;
  const target = targets.get(id);
  if (target === undefined) return Promise.resolve({ drained: true, abandoned: 0 });
  const { outcome, cancel } = waitIdle(target, timeoutMs);
  const result = outcome.then(async (how): Promise<DrainResult> => {
    draining.delete(id);
    if (how === 'cancelled') return { drained: false, abandoned: 0, cancelled: true };
    const abandoned = how === 'idle' ? 0 : target.counters.inFlight;
    if (targets.get(id) !== target) return { drained: abandoned === 0, abandoned }; // removed meanwhile
    targets.delete(id);
    await (abandoned === 0 ? target.close() : target.destroy());
    return { drained: abandoned === 0, abandoned };
  });
  draining.set(id, { result, cancel });
  return result;
}
