import { request } from '../core/http-request.js';
import type { CheckResult, CheckSpec } from '../analysis/check-result.js';
import { runChecks } from '../analysis/index.js';
import type { CanaryWatch } from '../plan/steps.js';
import {
  deriveCanaryEndpoint,
  deriveUnreachableCheck,
  selectCanaryEndpoint,
  type CanaryEndpoint,
} from './canary-endpoints.js';

/**
 * How the control plane reaches the canary itself during an analysis: further checks (HTTP, command) and
 * probe traffic go through a canary host's router with the opt-in header, round robin over the hosts whose
 * router already sends the canary traffic (a host-batched canary takes hosts over one batch at a time).
 */
export class CanaryReach {
  readonly #endpoints: readonly CanaryEndpoint[];
  readonly #liveHosts = new Set<string>();
  #turn = 0;
  #probe: NodeJS.Timeout | null = null;

  /** `endpoints` default: each host's router on this machine's loopback (all hosts `local`). */
  constructor(
    private readonly watch: CanaryWatch,
    endpoints?: readonly CanaryEndpoint[],
  ) {
    this.#endpoints =
      endpoints ??
      watch.hosts.map((host) =>
        deriveCanaryEndpoint({ host, address: null, bindAddress: '127.0.0.1', publicPort: watch.publicPort }),
      );
  }

  markLive(host: string): void {
    this.#liveHosts.add(host);
  }

  /** The canary router for the next request (round robin over the hosts that serve the canary). */
  #nextEndpoint(): CanaryEndpoint | null {
    const all = this.#endpoints;
    const live = all.filter((e) => this.#liveHosts.has(e.host));
    return selectCanaryEndpoint(live.length > 0 ? live : all, this.#turn++);
  }

  /** Further checks, through a canary host's router with the opt-in header (they reach the canary at any weight). */
  async runChecks(): Promise<CheckResult[]> {
    const specs = this.watch.analysis.checks as CheckSpec[];
    if (specs.length === 0) return [];
    const endpoint = this.#nextEndpoint();
    const vars = {
      release: this.watch.canary.release,
      stable: this.watch.stable.release,
      canaryUrl:
        endpoint?.kind === 'reachable' ? endpoint.baseUrl : `http://127.0.0.1:${this.watch.publicPort}`,
      canaryHeaders: { [this.watch.header]: 'always' },
    };
    const unreachable = endpoint ? specs.map((spec) => deriveUnreachableCheck(spec, endpoint)) : [];
    const ran = await runChecks(
      specs.filter((_, i) => !unreachable[i]),
      vars,
    );
    return specs.map((_, i) => unreachable[i] ?? ran.shift()).filter((r) => r !== undefined);
  }

  startProbe(): void {
    if (this.#probe) return;
    const probe = this.watch.analysis.probe;
    if (!probe) return;
    this.#probe = setInterval(
      () => {
        const endpoint = this.#nextEndpoint();
        // An unreachable router is reported by the checks; the analysis of a starved canary stays inconclusive.
        if (endpoint?.kind !== 'reachable') return;
        void request(`${endpoint.baseUrl}${probe.path}`, {
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

  stopProbe(): void {
    if (this.#probe) clearInterval(this.#probe);
    this.#probe = null;
  }
}
