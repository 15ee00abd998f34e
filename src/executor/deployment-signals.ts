import type { Clock } from '../core/clock.js';
import type { Store } from '../store/index.js';

/** What a person can ask of a running deployment from another terminal (or, later, the dashboard). */
export type DeploymentSignalKind = 'promote' | 'abort';

export const SIGNAL_EVENT_KINDS: Record<DeploymentSignalKind, string> = {
  promote: 'deploy.promote-requested',
  abort: 'deploy.abort-requested',
};

/** Records a request in the ledger; the process running the deployment picks it up. */
export async function requestSignal(
  store: Store,
  clock: Clock,
  request: {
    app: string;
    environment: string;
    deploymentId: string;
    release: string;
    kind: DeploymentSignalKind;
    actor: string;
    reason?: string;
  },
): Promise<void> {
  await store.appendEvent({
    atMs: clock.nowMs(),
    actor: request.actor,
    app: request.app,
    environment: request.environment,
    kind: SIGNAL_EVENT_KINDS[request.kind],
    deploymentId: request.deploymentId,
    release: request.release,
    message: `${request.kind} of deployment ${request.deploymentId} requested by ${request.actor}${request.reason ? `: ${request.reason}` : ''}`,
  });
}

/** A signal as a waiting step takes it: `seq` is its ledger event, kept with the step that consumed it. */
export interface DeploymentSignal {
  actor: string;
  message: string;
  seq: number;
}

/**
 * Watches the ledger for signals to one deployment. Signals recorded before the watch started count too (a
 * promote given while the deployment was between steps is not lost); each is handed out once. A resumed
 * deployment passes the signals its finished steps already consumed (`consumed`), so that a promote that ended
 * a pause before the interruption does not end the next wait as well.
 */
export class SignalWatcher {
  readonly #seen: Set<number>;
  readonly #pending: Array<{ kind: DeploymentSignalKind } & DeploymentSignal> = [];
  #timer: NodeJS.Timeout | null = null;
  #listeners: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly scope: { app: string; environment: string; deploymentId: string },
    private readonly pollMs = 250,
    consumed: Iterable<number> = [],
  ) {
    this.#seen = new Set(consumed);
  }

  start(): void {
    if (this.#timer) return;
    const poll = async (): Promise<void> => {
      const events = await this.store.listEvents({
        app: this.scope.app,
        environment: this.scope.environment,
        kinds: Object.values(SIGNAL_EVENT_KINDS),
        limit: 20,
      });
      for (const e of events.reverse()) {
        if (e.deploymentId !== this.scope.deploymentId || this.#seen.has(e.seq)) continue;
        this.#seen.add(e.seq);
        const kind = e.kind === SIGNAL_EVENT_KINDS.promote ? 'promote' : 'abort';
        this.#pending.push({ kind, actor: e.actor, message: e.message, seq: e.seq });
      }
      if (this.#pending.length > 0) for (const l of this.#listeners.splice(0)) l();
    };
    this.#timer = setInterval(() => void poll().catch(() => undefined), this.pollMs);
    this.#timer.unref();
    void poll().catch(() => undefined);
  }

  /** Takes the oldest pending signal of a kind, if any. */
  take(kind: DeploymentSignalKind): DeploymentSignal | undefined {
    const index = this.#pending.findIndex((p) => p.kind === kind);
    if (index < 0) return undefined;
    const [signal] = this.#pending.splice(index, 1);
    return signal && { actor: signal.actor, message: signal.message, seq: signal.seq };
  }

  /** Resolves with the next signal of `kind`; rejects when `abort` fires first. */
  async next(kind: DeploymentSignalKind, abort: AbortSignal): Promise<DeploymentSignal> {
    for (;;) {
      const signal = this.take(kind);
      if (signal) return signal;
      if (abort.aborted) throw abort.reason instanceof Error ? abort.reason : new Error('aborted');
      await new Promise<void>((resolve) => {
        const done = (): void => {
          abort.removeEventListener('abort', done);
          resolve();
        };
        this.#listeners.push(done);
        abort.addEventListener('abort', done, { once: true });
      });
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const l of this.#listeners.splice(0)) l();
  }
}
