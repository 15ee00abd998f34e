import { performance } from 'node:perf_hooks';
import { formatDurationMs } from '../../core/duration.js';
import { SlipwayError } from '../../core/errors.js';
import { MAX_ANSWER_TIMEOUT_MS } from '../../router/edge-failover.js';
import { POOL_CONNECT_BACKSTOP_MS, type PoolMemberEvent } from '../../router/edge-pool.js';
import type { Router } from '../../router/router.js';
import type { EdgeFailoverSpec, EdgeUpstream, EjectionCause, HealthCheckSpec } from '../protocol.js';
import type { EdgeRecord, RouteRecord } from './route-table.js';

/** How often a member put back into the edge is looked at until its checks let it in. */
const IN_ROTATION_POLL_MS = 50;

/**
 * Brings an edge router's pool in line with `edge`: members not listed any more (or moved to another address)
 * are drained and removed, new ones added. A member keeps its enabled state (a rolling update in progress).
 */
export async function applyEdge(
  record: RouteRecord,
  edge: EdgeRecord,
  drainTimeoutMs: number,
  hooks: {
    onMemberEvent: (e: PoolMemberEvent) => void;
    wallClockMs: () => number;
    log: (line: string) => void;
  },
): Promise<void> {
  const router = record.router;
  if (!router) return;
  router.edgePool.configure({
    healthCheck: edge.healthCheck,
    ...(edge.failover ? { failover: edge.failover } : {}),
    onMemberEvent: hooks.onMemberEvent,
    wallClockMs: hooks.wallClockMs,
  });
  for (const member of router.edgePool.status()) {
    const wanted = edge.upstreams.find((u) => u.id === member.id);
    if (wanted && wanted.address === member.address && wanted.port === member.port) continue;
    record.draining.add(member.id);
    const drained = router
      .drain(member.id, drainTimeoutMs)
      .catch((err: unknown) => hooks.log(`edge of ${edge.app}: removing ${member.id} failed: ${String(err)}`))
      .finally(() => record.draining.delete(member.id));
    if (wanted) await drained; // moved: the old address must be gone before the new one is added
  }
  for (const u of edge.upstreams) {
    router.edgePool.add(
      { id: u.id, host: u.address, port: u.port },
      { enabled: u.enabled, disabledSinceMs: u.disabledSinceMs ?? null },
    );
  }
}

/** What an ejection or a re-admission of an edge's member reads as in the journal (and so the ledger). */
export function edgeMemberEventMessage(
  app: string,
  e: PoolMemberEvent,
): { kind: string; message: string; data: Record<string, unknown> } {
  const { cause, sinceMs, detail } = e.ejection;
  if (e.kind === 'ejected') {
    return {
      kind: 'edge.member-ejected',
      message: `edge of ${app}: upstream ${e.member} ejected (${EJECTION_WORDS[cause]}: ${detail})`,
      data: { member: e.member, cause, detail },
    };
  }
  const outForMs = Math.max(0, e.atMs - sinceMs);
  const how = e.how === 'passed-checks' ? 'its health checks pass again' : 'its health check was changed';
  return {
    kind: 'edge.member-readmitted',
    message: `edge of ${app}: upstream ${e.member} ${e.enabled ? 'back in rotation' : 'healthy again (still disabled)'} after ${formatDurationMs(outForMs)} out (${how})`,
    data: { member: e.member, cause, outForMs, how: e.how },
  };
}

/**
 * Resolves true once the edge has member `id` in rotation, false when its checks have not let it in within the
 * time they need to (healthyThreshold passes, each an interval plus its timeout, and one more interval).
 */
export async function whenInRotation(router: Router, id: string, check: HealthCheckSpec): Promise<boolean> {
  const boundMs = (check.healthyThreshold + 1) * (check.intervalMs + check.timeoutMs);
  const deadline = performance.now() + boundMs;
  for (;;) {
    const member = router.edgePool.status().find((m) => m.id === id);
    if (member === undefined) return false;
    if (member.inRotation) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, IN_ROTATION_POLL_MS));
  }
}

/** What an ejection's cause reads as in the journal. */
const EJECTION_WORDS: Record<EjectionCause, string> = {
  'failed-checks': 'failed health checks',
  timeouts: 'timeouts',
  refused: 'connection refused',
  unreachable: 'unreachable',
};

/** Bounds the router relies on (the config schema checks the same; this guards other callers). */
export function validateEdgeFailover(app: string, f: EdgeFailoverSpec): void {
  const positive = (n: number): boolean => Number.isFinite(n) && n > 0;
  const ok =
    positive(f.connectTimeoutMs) &&
    f.connectTimeoutMs <= POOL_CONNECT_BACKSTOP_MS &&
    positive(f.answerTimeoutMinMs) &&
    positive(f.answerTimeoutMaxMs) &&
    f.answerTimeoutMinMs <= f.answerTimeoutMaxMs &&
    f.answerTimeoutMaxMs <= MAX_ANSWER_TIMEOUT_MS &&
    f.retryBudget >= 0 &&
    f.retryBudget <= 1 &&
    Number.isInteger(f.ejectAfter) &&
    f.ejectAfter >= 1;
  if (!ok) {
    throw new SlipwayError(`edge of ${app}: invalid failover settings ${JSON.stringify(f)}`, {
      hint: `connectTimeout 1 ms–${POOL_CONNECT_BACKSTOP_MS} ms, answerTimeout min ≤ max ≤ ${MAX_ANSWER_TIMEOUT_MS} ms, retryBudget 0–1, ejectAfter ≥ 1`,
    });
  }
}

export function validateEdgeUpstreams(app: string, upstreams: EdgeUpstream[]): void {
  const seen = new Set<string>();
  for (const u of upstreams) {
    if (!u.id || seen.has(u.id)) {
      throw new SlipwayError(
        `edge of ${app}: upstream ids must be unique and non-empty (got ${JSON.stringify(u.id)})`,
      );
    }
    if (!u.address || !Number.isInteger(u.port) || u.port < 1 || u.port > 65_535) {
      throw new SlipwayError(`edge of ${app}: upstream ${u.id} needs an address and a port (1–65535)`);
    }
    seen.add(u.id);
  }
}
