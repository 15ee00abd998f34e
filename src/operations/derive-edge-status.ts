import type { EjectionCause, PoolMemberStatus, RouteStatus, TargetHealth } from '../agent/protocol.js';

/** Why a member gets no new requests: its health (ejected, with the cause), or a deploy or setup disabled it. */
export type EdgeMemberCause = EjectionCause | 'disabled';

/** One app host as its edge sees it: what `slipway status`, `--json` and the dashboard show. */
export interface EdgeMemberView {
  id: string;
  address: string;
  port: number;
  state: 'in-rotation' | 'ejected' | 'disabled';
  /** Since when it is out (null in rotation, or when an older agent did not say). */
  sinceMs: number | null;
  cause: EdgeMemberCause | null;
  /** Why it is out and what brings it back, in words; null in rotation. */
  why: string | null;
  health: TargetHealth;
  inFlight: number;
  /** How long a request to it waits for an answer before an idempotent one may go elsewhere (newer agents). */
  answerTimeoutMs: number | null;
}

export interface EdgeStatusView {
  /** The host the edge runs on. */
  host: string;
  bindAddress: string;
  publicPort: number;
  /** Why the edge could not be read (host unreachable, no edge there yet); null when it was. */
  error: string | null;
  members: EdgeMemberView[];
  /** Members that get new requests. */
  inRotation: number;
}

export interface EdgeStatusInput {
  host: string;
  bindAddress: string;
  publicPort: number;
  /** The edge's route on its host (`edge:<app>`); null when there is none. */
  route: RouteStatus | null;
  /** The edge host could not be asked. */
  error: string | null;
  /** The edge's checks' `healthyThreshold` (the app's health check): passes that bring a member back. */
  healthyThreshold: number;
  /** The environment's last deployment, to say what took a disabled member out. */
  lastDeployment: { id: string; phase: string } | null;
}

const CAUSE_WORDS: Record<EjectionCause, string> = {
  'failed-checks': 'failed health checks',
  timeouts: 'timeouts',
  refused: 'connection refused',
  unreachable: 'unreachable',
};

/** The edge and its members, with each member's state in words. Pure. */
export function deriveEdgeStatus(input: EdgeStatusInput): EdgeStatusView {
  const base = { host: input.host, bindAddress: input.bindAddress, publicPort: input.publicPort };
  if (input.error !== null) return { ...base, error: input.error, members: [], inRotation: 0 };
  if (input.route === null || input.route.pool === null) {
    return {
      ...base,
      error: 'no edge on this host yet: the next deploy sets it up',
      members: [],
      inRotation: 0,
    };
  }
  const members = input.route.pool.map((m) => deriveEdgeMember(m, input));
  return {
    ...base,
    error: null,
    members,
    inRotation: members.filter((m) => m.state === 'in-rotation').length,
  };
}

function deriveEdgeMember(m: PoolMemberStatus, input: EdgeStatusInput): EdgeMemberView {
  const base = {
    id: m.id,
    address: m.address,
    port: m.port,
    health: m.health,
    inFlight: m.inFlight,
    answerTimeoutMs: m.answerTimeoutMs ?? null,
  };
  if (!m.enabled) {
    return {
      ...base,
      state: 'disabled',
      sinceMs: m.disabledSinceMs ?? null,
      cause: 'disabled',
      why: describeDisabled(input.lastDeployment),
    };
  }
  if (m.inRotation) return { ...base, state: 'in-rotation', sinceMs: null, cause: null, why: null };
  const ejected = m.ejected ?? null;
  const cause: EjectionCause = ejected?.cause ?? 'failed-checks';
  const back = `back by itself after ${input.healthyThreshold} passing check${input.healthyThreshold === 1 ? '' : 's'}`;
  return {
    ...base,
    state: 'ejected',
    sinceMs: ejected?.sinceMs ?? null,
    cause,
    why: `${CAUSE_WORDS[cause]}${ejected ? `: ${ejected.detail}` : ''}; ${back}`,
  };
}

/**
 * A disabled member gets no new requests until whatever disabled it enables it again: a rolling deploy's batch
 * (taken out, updated, put back) or `slipway setup` around an agent restart. Left disabled, it was not put back.
 */
function describeDisabled(last: EdgeStatusInput['lastDeployment']): string {
  if (last?.phase === 'running') return `taken out of the edge by the running deployment ${last.id}`;
  const after = last ? `; the last deployment, ${last.id}, ended ${last.phase}` : '';
  return `taken out of the edge by a deploy or setup that did not put it back${after}; a rolling deploy of this environment (or "deploy --resume" of a stopped one) puts it back`;
}
