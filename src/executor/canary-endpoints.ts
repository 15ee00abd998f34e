import type { CheckResult, CheckSpec } from '../analysis/check-result.js';

/**
 * Where the control plane reaches a router that serves the canary, for probe traffic and for HTTP and command
 * checks: the router of a canary host (with the opt-in header, so the request lands on the canary whatever the
 * weight). A router on a remote host that listens on loopback only cannot be reached from here; that is said
 * plainly instead of sending the request to this machine's own port. Pure.
 */
export type CanaryEndpoint =
  | { kind: 'reachable'; host: string; baseUrl: string }
  | { kind: 'unreachable'; host: string; reason: string };

export interface RouterLocation {
  host: string;
  /** The host's SSH address; null for `local` (this machine). */
  address: string | null;
  /** What the host's router listens on (`bindAddress` of the environment). */
  bindAddress: string;
  publicPort: number;
}

const ANY_ADDRESS = new Set(['', '0.0.0.0', '::', '[::]', '*']);

function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || address === '[::1]' || address.startsWith('127.');
}

function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

export function deriveCanaryEndpoint(router: RouterLocation): CanaryEndpoint {
  const bind = router.bindAddress.trim();
  const at = (address: string): CanaryEndpoint => ({
    kind: 'reachable',
    host: router.host,
    baseUrl: `http://${urlHost(address)}:${router.publicPort}`,
  });
  if (router.address === null) return at(ANY_ADDRESS.has(bind) || isLoopback(bind) ? '127.0.0.1' : bind);
  if (ANY_ADDRESS.has(bind)) return at(router.address);
  if (isLoopback(bind)) {
    return {
      kind: 'unreachable',
      host: router.host,
      reason: `the router of ${router.host} listens on ${bind} only, which the control plane cannot reach; set the environment's bindAddress to an address reachable from the control plane (e.g. 0.0.0.0)`,
    };
  }
  return at(bind);
}

/**
 * The endpoint for turn `n` (round robin over the reachable ones); when none is reachable, the first
 * unreachable one (its reason is what checks report). Null when there are no endpoints at all.
 */
export function selectCanaryEndpoint(endpoints: readonly CanaryEndpoint[], n: number): CanaryEndpoint | null {
  const reachable = endpoints.filter((e) => e.kind === 'reachable');
  if (reachable.length > 0) return reachable[n % reachable.length] ?? null;
  return endpoints[0] ?? null;
}

/** What a check that needs the canary's URL (HTTP, command) reports when no canary router can be reached. */
export function deriveUnreachableCheck(spec: CheckSpec, endpoint: CanaryEndpoint): CheckResult | null {
  if (endpoint.kind === 'reachable' || spec.kind === 'prometheus') return null;
  return { name: spec.name, status: 'inconclusive', detail: `cannot reach the canary: ${endpoint.reason}` };
}
