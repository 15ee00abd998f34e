import { request } from 'undici';
import type { CanaryTripReport, TargetMetrics } from '../agent/protocol.js';
import type { TripwireSpec } from '../analysis/tripwire.js';
import { deriveWindow, judgeCanary, runChecks, type Verdict } from '../analysis/index.js';
import type { Clock } from '../core/clock.js';
import type { Host } from '../hosts/host.js';
import type { CanaryWatch } from '../plan/steps.js';
import type { Store } from '../store/index.js';
import { sleepUnlessAborted, type SignalWatcher } from './deployment-signals.js';
import type { Guard } from './guard.js';

/**
 * Runs a canary from the control plane: takes a metrics baseline when the canary first gets traffic, judges it
 * against stable every interval (so a clearly bad canary fails as soon as the evidence is significant), sends
 * optional probe traffic, and turns `slipway abort` into a failure and `slipway promote` into the end of a pause.
 */
export class CanaryController implements Guard {
  #fail: ((reason: string) => void) | null = null;
  #baseline: { canary: TargetMetrics; stable: TargetMetrics } | null = null;
  #judging: NodeJS.Timeout | null = null;
  #probe: NodeJS.Timeout | null = null;
  #verdict: Verdict | null = null;
  #verdictListeners: Array<() => void> = [];
  readonly #stopped = new AbortController();
  #failed = false;

  constructor(
    private readonly watch: CanaryWatch,
    private readonly hosts: ReadonlyMap<string, Host>,
    private readonly signals: SignalWatcher,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ledger: { actor: string; environment: string; deploymentId: string },
  ) {}

  get verdict(): Verdict | null {
    return this.#verdict;
  }

  start(fail: (reason: string) => void): void {
    this.#fail = fail;
    this.signals.start();
    void this.signals.next('abort', this.#stopped.signal).then(
      (s) => this.#failOnce(`aborted by ${s.actor}`),
      () => undefined,
    );
  }

  onStage(name: string): void {
    if (name === 'promote') this.#stopJudging();
  }

  /** What the routers' tripwire tests against (the analysis thresholds); null when it is off. */
  tripwireSpec(): TripwireSpec | null {
    const a = this.watch.analysis;
    if (a.tripwire === false) return null;
    return {
      confidence: a.confidence,
      maxErrorRate: a.maxErrorRate,
      errorRateTolerance: a.errorRateTolerance,
      latencyTolerance: a.latencyTolerance,
      latencyMinDifferenceMs: a.latencyMinDifferenceMs,
    };
  }

  isCanaryRelease(release: string): boolean {
    return release === this.watch.canary.release;
  }

  /** Called when the canary first gets a share of traffic: the comparison window starts here. */
  async markTrafficStarted(): Promise<void> {
    if (this.#baseline) return;
    this.#baseline = await this.#readMetrics();
    const interval = Math.max(200, this.watch.analysis.intervalMs);
    this.#judging = setInterval(() => void this.#judge().catch(() => undefined), interval);
    this.#judging.unref();
    this.#startProbe();
  }

  /** Resolves 'successful', or 'inconclusive' when no verdict came within timeoutMs; a failure aborts via the guard. */
  async waitForSuccess(timeoutMs: number, abort: AbortSignal): Promise<'successful' | 'inconclusive'> {
    await this.markTrafficStarted();
    const deadline = this.clock.nowMs() + timeoutMs;
    while (this.clock.nowMs() < deadline) {
      if (this.#verdict?.result === 'successful') return 'successful';
      await Promise.race([
        new Promise<void>((resolve) => this.#verdictListeners.push(resolve)),
        sleepUnlessAborted(Math.min(1000, Math.max(0, deadline - this.clock.nowMs())), abort),
      ]);
    }
    return this.#verdict?.result === 'successful' ? 'successful' : 'inconclusive';
  }

  /** Ends a pause: the next `slipway promote` of this deployment. */
  waitForPromote(abort: AbortSignal): Promise<{ actor: string; message: string }> {
    return this.signals.next('promote', abort);
  }

  async stop(): Promise<void> {
    this.#stopJudging();
    this.#stopped.abort();
    this.signals.stop();
    return Promise.resolve();
  }

  #stopJudging(): void {
    if (this.#judging) clearInterval(this.#judging);
    if (this.#probe) clearInterval(this.#probe);
    this.#judging = null;
    this.#probe = null;
  }

  async #judge(): Promise<void> {
    const baseline = this.#baseline;
    if (!baseline || this.#failed) return;
    const now = await this.#readMetrics();
    if (now.trip !== null) {
      await this.#recordVerdict(tripVerdict(now.trip));
      return;
    }
    const checks = await runChecks(this.watch.analysis.checks as Parameters<typeof runChecks>[0], {
      release: this.watch.canary.release,
      stable: this.watch.stable.release,
      // Through the router with the opt-in header, so checks reach the canary whatever its weight.
      canaryUrl: `http://127.0.0.1:${this.watch.publicPort}`,
      canaryHeaders: { [this.watch.header]: 'always' },
    });
    const verdict = judgeCanary({
      canary: deriveWindow(baseline.canary, now.canary),
      stable: deriveWindow(baseline.stable, now.stable),
      spec: {
        minRequests: this.watch.analysis.minRequests,
        confidence: this.watch.analysis.confidence,
        maxErrorRate: this.watch.analysis.maxErrorRate,
        errorRateTolerance: this.watch.analysis.errorRateTolerance,
        latencyTolerance: this.watch.analysis.latencyTolerance,
        latencyMinDifferenceMs: this.watch.analysis.latencyMinDifferenceMs,
        ...(this.watch.analysis.maxP99Ms !== null ? { maxP99Ms: this.watch.analysis.maxP99Ms } : {}),
      },
      checks,
    });
    await this.#recordVerdict(verdict);
  }

  /** Keeps the verdict, writes a change (or a failure) to the ledger, and fails the deployment on failure. */
  async #recordVerdict(verdict: Verdict): Promise<void> {
    const changed = verdict.result !== this.#verdict?.result;
    this.#verdict = verdict;
    for (const l of this.#verdictListeners.splice(0)) l();
    if (changed || verdict.result === 'failed') {
      await this.store.appendEvent({
        atMs: this.clock.nowMs(),
        actor: this.ledger.actor,
        app: this.watch.app,
        environment: this.ledger.environment,
        kind: 'canary.verdict',
        deploymentId: this.ledger.deploymentId,
        release: this.watch.canary.release,
        message: `analysis of ${this.watch.canary.release} against ${this.watch.stable.release}: ${verdict.result}${verdict.reasons.length ? ` (${verdict.reasons.join('; ')})` : ''}`,
        data: verdict,
      });
    }
    if (verdict.result === 'failed') this.#failOnce(`canary analysis failed: ${verdict.reasons.join('; ')}`);
  }

  #failOnce(reason: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#stopJudging();
    this.#fail?.(reason);
  }

  /**
   * Sums the canary's and stable's counters over every host of the environment; `trip` is the first host's
   * report that its router's tripwire ended this canary's split.
   */
  async #readMetrics(): Promise<{
    canary: TargetMetrics;
    stable: TargetMetrics;
    trip: CanaryTripReport | null;
  }> {
    const all = await Promise.all(
      this.watch.hosts.map(async (name) => {
        const host = this.hosts.get(name);
        if (!host) return { targets: [] };
        return (await host.agent()).call('metrics', { app: this.watch.app });
      }),
    );
    const targets = all.flatMap((m) => m.targets);
    const trip =
      all.flatMap((m) => m.trips ?? []).find((t) => t.canaryTargetId === this.watch.canary.targetId) ?? null;
    return {
      trip,
      canary: sumMetrics(
        targets.filter((t) => t.release === this.watch.canary.release),
        this.watch.canary.release,
      ),
      stable: sumMetrics(
        targets.filter((t) => t.release === this.watch.stable.release),
        this.watch.stable.release,
      ),
    };
  }

  #startProbe(): void {
    const probe = this.watch.analysis.probe;
    if (!probe) return;
    const url = `http://127.0.0.1:${this.watch.publicPort}${probe.path}`;
    this.#probe = setInterval(
      () => {
        void request(url, {
          headers: { [this.watch.header]: 'always' },
          headersTimeout: 5000,
          bodyTimeout: 5000,
        })
          .then((res) => res.body.dump())
          .catch(() => undefined);
      },
      Math.max(1, Math.round(1000 / probe.ratePerSecond)),
    );
    this.#probe.unref();
  }
}

export function sumMetrics(targets: TargetMetrics[], release: string): TargetMetrics {
  const first = targets[0];
  const bounds = first?.latency.boundsMs ?? [];
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let requests = 0;
  let errors5xx = 0;
  let proxyErrors = 0;
  let inFlight = 0;
  for (const t of targets) {
    requests += t.requests;
    errors5xx += t.errors5xx;
    proxyErrors += t.proxyErrors;
    inFlight += t.inFlight;
    t.latency.counts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
  }
  return {
    targetId: first?.targetId ?? '',
    release,
    requests,
    errors5xx,
    proxyErrors,
    inFlight,
    latency: { boundsMs: bounds, counts },
  };
}

/** A failed verdict from a router's tripwire report: its reason and numbers. */
export function tripVerdict(trip: CanaryTripReport): Verdict {
  return {
    result: 'failed',
    reasons: [trip.detail],
    measurements: { ...trip.measurements },
    conditions: [{ name: `tripwire:${trip.condition}`, status: 'fail', detail: trip.detail }],
  };
}
