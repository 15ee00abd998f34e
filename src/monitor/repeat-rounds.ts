import { sleepUnlessAborted } from '../core/sleep.js';

/**
 * Runs `round` now, then every `intervalMs` after the previous one ended, until `signal` aborts (a round in
 * progress finishes first) or, with `once`, after the first. The wait between rounds leaves nothing on the
 * signal when it ends, so a monitor that runs for days does not pile up abort listeners.
 */
export async function repeatRounds(
  round: () => Promise<void>,
  options: { intervalMs: number; signal: AbortSignal; once?: boolean },
): Promise<void> {
  const { intervalMs, signal } = options;
  for (;;) {
    await round();
    if (options.once || signal.aborted) return;
    await sleepUnlessAborted(intervalMs, signal).catch(() => undefined);
    if (signal.aborted) return;
  }
}
