import type { RouteStatus, TargetStatus } from '../agent/protocol.js';
import type { EnvironmentStatus } from '../operations/collect-status.js';
import type { EdgeMemberView, EdgeStatusView } from '../operations/derive-edge-status.js';
import type { CertificateView, FrontDoorStatusView } from '../operations/derive-front-door-status.js';
import { describeExpiry, issuerName } from '../plan/describe-certificate.js';
import { formatAgo } from './format.js';

/**
 * The part of GET /api/v1/environments (the data of `slipway status --json`, built by collectStatus in
 * src/operations/collect-status.ts) that the dashboard reads. Kept to what it shows, so a field added to the status
 * needs no change here.
 */
export interface EnvironmentStatusView {
  environment: string;
  strategy: string;
  hosts: HostStatusView[];
  lastDeployment: {
    id: string;
    kind: string;
    release: string;
    by: string;
    atMs: number;
    phase: string;
    error: string | null;
    currentStep: string | null;
  } | null;
  canaryVerdict: { atMs: number; message: string } | null;
  /** The environment's edge and its members; null (or absent) without an edge. */
  edge?: EdgeStatusView | null;
  /** Its route on the hosts' front door and the certificates served; null (or absent, older server) without. */
  frontDoor?: FrontDoorStatusView | null;
  lock: { holder: string; sinceMs: number; deploymentId: string | null; stale: boolean } | null;
}

export interface HostStatusView {
  host: string;
  error: string | null;
  agent: { pid: number; version: string } | null;
  route: Pick<RouteStatus, 'active' | 'draining' | 'split'> | null;
  targets: Pick<TargetStatus, 'id' | 'release' | 'state' | 'health' | 'stopAtMs'>[];
}

/** Checked by tsc: the server's status has every field the dashboard reads, with the same types. */
type Satisfies<T extends U, U> = T;
export type ServerStatusSatisfiesView = Satisfies<EnvironmentStatus, EnvironmentStatusView>;

export type TargetRole = 'serving' | 'stable' | 'canary' | 'draining' | 'warm' | 'idle';

/** What a target does for the host's router: the words `slipway status` prints. Pure. */
export function roleOf(host: HostStatusView, targetId: string): { role: TargetRole; weight: number | null } {
  const route = host.route;
  const target = host.targets.find((t) => t.id === targetId);
  if (route?.split?.canary === targetId) return { role: 'canary', weight: route.split.weight };
  if (route?.active === targetId)
    return route.split
      ? { role: 'stable', weight: 100 - route.split.weight }
      : { role: 'serving', weight: null };
  if (route?.draining.includes(targetId)) return { role: 'draining', weight: null };
  return { role: target?.stopAtMs ? 'warm' : 'idle', weight: null };
}

/** The release each host serves now (its router's active target), in host order; null for a host serving none. */
export function servingReleases(status: EnvironmentStatusView): { host: string; release: string | null }[] {
  return status.hosts.map((h) => ({
    host: h.host,
    release: h.targets.find((t) => t.id === h.route?.active)?.release ?? null,
  }));
}

/** The words of an edge member's state on the card: `in rotation`, `ejected 12s ago`, `disabled 3m ago`. Pure. */
export function edgeMemberState(member: EdgeMemberView, nowMs: number): { state: string; label: string } {
  if (member.state === 'in-rotation') return { state: member.state, label: 'in rotation' };
  const ago = member.sinceMs === null ? '' : ` ${formatAgo(member.sinceMs, nowMs)}`;
  return { state: member.state, label: `${member.state}${ago}` };
}

/** A certificate's row on the card: its names, its issuer, and its expiry as a state word (flagged when soon). Pure. */
export function certificateRow(
  c: CertificateView,
  nowMs: number,
): { names: string; issuer: string; state: string; label: string } {
  if (c.state === 'unreadable')
    return { names: '', issuer: '', state: c.state, label: `unreadable: ${c.error ?? 'unknown'}` };
  return {
    names: c.names.join(', '),
    issuer: issuerName(c.issuer),
    state: c.state,
    label: describeExpiry(c.notAfter, nowMs),
  };
}
