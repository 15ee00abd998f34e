import type { CanaryTripReport, TargetMetrics } from '../agent/protocol.js';
import type { TripwireSpec } from '../analysis/tripwire.js';
import { deriveAnalysisWindow, judgeCanary, type MetricsSnapshot, type Verdict } from '../analysis/index.js';
import type { Clock } from '../core/clock.js';
import type { Host } from '../hosts/host.js';
import type { CanaryWatch } from '../plan/steps.js';
import type { Store } from '../store/index.js';
import type { CanaryEndpoint } from './canary-endpoints.js';
import { CanaryReach } from './canary-reach.js';
import { sumMetrics } from '../analysis/sum-metrics.js';
import { tripVerdict } from './canary-metrics.js';
import { sleepUnlessAborted } from '../core/sleep.js';
import type { DeploymentSignal, SignalWatcher } from './deployment-signals.js';
import type { Guard } from './guard.js';

export interface CanaryControllerOptions {
  /** A resumed deployment whose canary already got traffic before the interruption: judging starts at once. */
  trafficStarted?: boolean;
  /** A resume whose last finished wait was ended by `slipway promote`: that go-ahead still counts at the gate. */
  goAhead?: DeploymentSignal;
  /** Where probes and checks reach the canary hosts' routers; default: this machine's router (`local`). */
  endpoints?: readonly CanaryEndpoint[];
}

/** How a wait for promotion ended: a successful verdict, or a person's `slipway promote` (their override). */
export type PromotionOutcome =
  { by: 'verdict'; verdict: Verdict } | { by: 'operator'; signal: DeploymentSignal; verdict: Verdict | null };

/**
 * Runs a canary from the control plane: takes a metrics snapshot at each change of the canary's traffic (a
 * weight set, a host switched), judges what it served since the last one against stable every interval (so a
 * clearly bad canary fails as soon as the evidence is significant, and an analysis step judges its own step,
 * not the weight before), sends optional probe traffic, and turns `slipway abort` into a failure and `slipway
 * promote` into the end of a pause.
 */
export class CanaryController implements Guard {
  #fail: ((reason: string) => void) | null = null;
  /** Snapshots taken at each change of the canary's traffic, oldest first; the window starts at the last. */
  readonly #changes: MetricsSnapshot[] = [];
  #judging: NodeJS.Timeout | null = null;
  /** Judging ended for good (the promote stage began, the canary failed, or the controller stopped). */
  #judgingEnded = false;
  #verdict: Verdict | null = null;
  #verdictListeners: Array<() => void> = [];
  readonly #stopped = new AbortController();
  #failed = false;
  /**
   * The `slipway promote` that ended the latest wait (a `pause: {}`, an inconclusive analysis): the operator's
   * go-ahead, which the promotion gate right after honours. A later wait that ends on its own clears it.
   */
  #goAhead: DeploymentSignal | null;
  readonly #reach: CanaryReach;

  constructor(
    private readonly watch: CanaryWatch,
    private readonly hosts: ReadonlyMap<string, Host>,
    private readonly signals: SignalWatcher,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly ledger: { actor: string; environment: string; deploymentId: string },
    private readonly options: CanaryControllerOptions = {},
  ) {
    this.#goAhead = options.goAhead ?? null;
    this.#reach = new CanaryReach(watch, options.endpoints);
  }

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
    // A resume: the canary kept its share of traffic while nothing judged it; the window opens again now.
    if (this.options.trafficStarted) void this.markTrafficStarted().catch(() => undefined);
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

  /** The canary is known by its target id (the same on every host): a secret rotation's stable runs its release too. */
  isCanaryTarget(targetId: string): boolean {
    return targetId === this.watch.canary.targetId;
  }

  /**
   * Called when the canary's share of traffic changed on `host` (a weight set, a host switched to it): a new
   * window starts here, and the verdict of the last one no longer counts, so an analysis step right after the
   * change waits for a verdict on what the canary serves at its new share.
   */
  async markTrafficChanged(host: string): Promise<void> {
    this.#reach.markLive(host);
    if (this.#judgingEnded) return;
    const snapshot = await this.#readMetrics();
    this.#changes.push({ canary: snapshot.canary, stable: snapshot.stable });
    this.#verdict = null;
    this.#startJudging();
  }

  /** Makes sure the canary is judged (a wait, a resume): the window opens now unless a change opened it already. */
  async markTrafficStarted(): Promise<void> {
    if (this.#changes.length > 0 || this.#judgingEnded) return;
    const snapshot = await this.#readMetrics();
    if (this.#changes.length > 0) return; // a change came in meanwhile: its window counts
    this.#changes.push({ canary: snapshot.canary, stable: snapshot.stable });
    this.#startJudging();
  }

  #startJudging(): void {
    if (this.#judging || this.#judgingEnded) return;
    const interval = Math.max(200, this.watch.analysis.intervalMs);
    this.#judging = setInterval(() => void this.#judge().catch(() => undefined), interval);
    this.#judging.unref();
    this.#reach.startProbe();
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

  /** Ends a pause: the next `slipway promote` of this deployment (the go-ahead the promotion gate honours). */
  async waitForPromote(abort: AbortSignal): Promise<DeploymentSignal> {
    const signal = await this.signals.next('promote', abort);
    this.#goAhead = signal;
    return signal;
  }

  /** A wait (a timed pause, a successful analysis) ended without a person: an earlier go-ahead no longer counts. */
  noteWaitEnded(): void {
    this.#goAhead = null;
  }

  /**
   * Inconclusive never promotes: passes at once on a successful verdict; otherwise (inconclusive, or no verdict
   * yet) says why in `note` and the ledger (which notifies) and waits for `slipway promote` or a later
   * successful verdict. A failed verdict or an abort ends the wait through the guard. With `honourGoAhead` (the
   * promotion gate), a promote that ended the wait just before counts: the operator already chose.
   */
  async waitForPromotion(
    abort: AbortSignal,
    note: (detail: string) => Promise<void>,
    honourGoAhead: boolean,
  ): Promise<PromotionOutcome> {
    await this.markTrafficStarted();
    const verdict = this.#verdict;
    if (verdict?.result === 'successful') return { by: 'verdict', verdict };
    const waiting = `${describeUnsettled(verdict)}; waiting for slipway promote`;
    const goAhead = honourGoAhead ? this.#goAhead : null;
    if (goAhead) {
      await this.#recordOverride(goAhead, describeUnsettled(verdict));
      return { by: 'operator', signal: goAhead, verdict };
    }
    await note(waiting);
    await this.#appendEvent(
      'canary.inconclusive',
      `canary of ${this.watch.canary.release} inconclusive, waiting for slipway promote (${describeUnsettled(verdict)})`,
      { verdict },
    );
    const settled = new AbortController();
    const stop = (): void => settled.abort(abort.reason);
    abort.addEventListener('abort', stop, { once: true });
    try {
      const outcome = await Promise.race([
        this.signals.next('promote', settled.signal).then((signal) => ({ by: 'operator' as const, signal })),
        this.#untilSuccessful(settled.signal).then((v) => ({ by: 'verdict' as const, verdict: v })),
      ]);
      if (outcome.by === 'verdict') return outcome;
      this.#goAhead = outcome.signal;
      await this.#recordOverride(outcome.signal, describeUnsettled(verdict));
      return { ...outcome, verdict: this.#verdict };
    } finally {
      abort.removeEventListener('abort', stop);
      settled.abort();
    }
  }

  /** Resolves with the first successful verdict; rejects when `abort` fires. */
  async #untilSuccessful(abort: AbortSignal): Promise<Verdict> {
    for (;;) {
      const verdict = this.#verdict;
      if (verdict?.result === 'successful') return verdict;
      if (abort.aborted) throw abort.reason instanceof Error ? abort.reason : new Error('aborted');
      await new Promise<void>((resolve) => {
        this.#verdictListeners.push(resolve);
        abort.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  /** A person promoted a canary the analysis did not find successful: the ledger says so, with the verdict. */
  async #recordOverride(signal: DeploymentSignal, unsettled: string): Promise<void> {
    await this.#appendEvent(
      'canary.overridden',
      `promotion of ${this.watch.canary.release} by ${signal.actor} overrides the analysis (${unsettled})`,
      { promotedBy: signal.actor, signalSeq: signal.seq, verdict: this.#verdict },
    );
  }

  async stop(): Promise<void> {
    this.#stopJudging();
    this.#stopped.abort();
    this.signals.stop();
    return Promise.resolve();
  }

  #stopJudging(): void {
    if (this.#judging) clearInterval(this.#judging);
    this.#reach.stopProbe();
    this.#judging = null;
    this.#judgingEnded = true;
  }

  async #judge(): Promise<void> {
    if (this.#changes.length === 0 || this.#failed) return;
    const windowsOpened = this.#changes.length;
    const now = await this.#readMetrics();
    if (now.trip !== null) {
      await this.#recordVerdict(tripVerdict(now.trip));
      return;
    }
    const checks = await this.#reach.runChecks();
    // The traffic changed while this round read: its numbers straddle two windows and judge neither.
    const window = deriveAnalysisWindow(this.#changes, now);
    if (window === null || this.#changes.length !== windowsOpened) return;
    const verdict = judgeCanary({
      canary: window.canary,
      stable: window.stable,
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
      await this.#appendEvent(
        'canary.verdict',
        `analysis of ${this.watch.canary.release} against ${this.watch.stable.release}: ${verdict.result}${verdict.reasons.length ? ` (${verdict.reasons.join('; ')})` : ''}`,
        verdict,
      );
    }
    if (verdict.result === 'failed') this.#failOnce(`canary analysis failed: ${verdict.reasons.join('; ')}`);
  }

  async #appendEvent(kind: string, message: string, data: unknown): Promise<void> {
    await this.store.appendEvent({
      atMs: this.clock.nowMs(),
      actor: this.ledger.actor,
      app: this.watch.app,
      environment: this.ledger.environment,
      kind,
      deploymentId: this.ledger.deploymentId,
      release: this.watch.canary.release,
      message,
      data,
    });
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
        return (await host.agent()).call('metrics', { app: this.watch.route ?? this.watch.app });
      }),
    );
    const targets = all.flatMap((m) => m.targets);
    const trip =
      all.flatMap((m) => m.trips ?? []).find((t) => t.canaryTargetId === this.watch.canary.targetId) ?? null;
    return {
      trip,
      canary: sumMetrics(
        targets.filter((t) => t.targetId === this.watch.canary.targetId),
        this.watch.canary.release,
      ),
      stable: sumMetrics(
        targets.filter(
          (t) => t.release === this.watch.stable.release && t.targetId !== this.watch.canary.targetId,
        ),
        this.watch.stable.release,
      ),
    };
  }
}

/** Why the analysis does not let the canary through: its inconclusive reasons, or that it has no verdict yet. */
function describeUnsettled(verdict: Verdict | null): string {
  if (verdict === null) return 'analysis has no verdict yet';
  return `analysis ${verdict.result}${verdict.reasons.length ? `: ${verdict.reasons.join('; ')}` : ''}`;
}
