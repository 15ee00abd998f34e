import { formatDurationMs } from '../core/duration.js';
import { isoAt } from '../core/clock.js';
import type { Freeze } from './freezes.js';
import { deriveActiveFreeze } from './freezes.js';
import { deriveStartAtMs, deriveWindowState, type DeployWindow } from './windows.js';

/**
 * A gate's state now: `passed`; `blocked` (the deploy is refused); `waits` (the deploy starts and waits in a
 * plan step: a window, approvals); `overridden` (a freeze, with a reason); `after` (runs after the deploy: bake).
 */
export type GateStatus = 'passed' | 'blocked' | 'waits' | 'overridden' | 'after';

export type Gate =
  | { kind: 'previous-environment'; status: GateStatus; environment: string; detail: string }
  | { kind: 'verification'; status: GateStatus; environment: string; detail: string }
  | { kind: 'approvals'; status: GateStatus; detail: string }
  | { kind: 'window'; status: GateStatus; startAtMs: number | null; detail: string }
  | { kind: 'freeze'; status: GateStatus; freeze: string | null; detail: string }
  | { kind: 'bake'; status: GateStatus; durationMs: number; detail: string };

export type GateKind = Gate['kind'];

export interface VerificationResult {
  status: 'passed' | 'failed' | 'none';
  failures: unknown[];
}

/** What the gates of one environment are judged on; gathered by the runner, judged here. */
export interface GateInput {
  environment: string;
  release: string;
  nowMs: number;
  /** The environment before this one in the pipeline, with what it did with the release; null when first. */
  previous: {
    environment: string;
    succeeded: boolean;
    verification: VerificationResult;
    /** Whether that environment has `verify:`: then a release it never verified may not leave it. */
    verifies?: boolean;
  } | null;
  windows: readonly DeployWindow[];
  freezes: readonly Freeze[];
  notBeforeMs: number | null;
  /** Set when the deploy overrides a freeze (the runner checked the reason and the role). */
  freezeOverride: { by: string; reason: string } | null;
  /** Required approvals by role; null when the environment needs none. */
  approvals: Array<{ role: string; count: number }> | null;
  bakeDurationMs: number | null;
}

/** Every gate before (and the bake after) a deploy of `release` to `environment`, judged now. Pure. */
export function evaluateGates(input: GateInput): Gate[] {
  const gates: Gate[] = [];
  const prev = input.previous;
  if (prev) {
    gates.push({
      kind: 'previous-environment',
      environment: prev.environment,
      status: prev.succeeded ? 'passed' : 'blocked',
      detail: prev.succeeded
        ? `${input.release} was deployed to ${prev.environment} successfully`
        : `${input.release} has not been deployed to ${prev.environment} successfully`,
    });
    gates.push(verificationGate(prev.environment, prev.verification, prev.verifies ?? false));
  }
  if (input.approvals && input.approvals.length > 0) {
    const needed = input.approvals.map((r) => `${r.count} × ${r.role}`).join(', ');
    gates.push({ kind: 'approvals', status: 'waits', detail: `needs approval by ${needed}` });
  }
  gates.push(freezeGate(input));
  gates.push(windowGate(input));
  if (input.bakeDurationMs !== null) {
    gates.push({
      kind: 'bake',
      status: 'after',
      durationMs: input.bakeDurationMs,
      detail: `watched for ${formatDurationMs(input.bakeDurationMs)} after the switch; rolled back on a failing rule, marked good when it passes`,
    });
  }
  return gates;
}

function verificationGate(environment: string, result: VerificationResult, verifies: boolean): Gate {
  const base = { kind: 'verification' as const, environment };
  switch (result.status) {
    case 'passed':
      return { ...base, status: 'passed', detail: `verification in ${environment} passed` };
    case 'none':
      return verifies
        ? { ...base, status: 'blocked', detail: `the release has no verification result in ${environment}` }
        : { ...base, status: 'passed', detail: `no verification results in ${environment}` };
    case 'failed':
      return {
        ...base,
        status: 'blocked',
        detail: `verification in ${environment} failed: ${result.failures.join('; ') || 'no details'}`,
      };
  }
}

function freezeGate(input: GateInput): Gate {
  // A scheduled deploy is judged at the time it will run.
  const atMs = Math.max(input.nowMs, input.notBeforeMs ?? input.nowMs);
  const freeze = deriveActiveFreeze(input.freezes, atMs);
  if (!freeze) {
    const detail = input.freezes.length > 0 ? 'no freeze in force' : 'no freezes';
    return { kind: 'freeze', status: 'passed', freeze: null, detail };
  }
  const until = `until ${isoAt(freeze.toMs)}`;
  if (input.freezeOverride) {
    return {
      kind: 'freeze',
      status: 'overridden',
      freeze: freeze.name,
      detail: `freeze "${freeze.name}" (${until}) overridden by ${input.freezeOverride.by}: ${input.freezeOverride.reason}`,
    };
  }
  return {
    kind: 'freeze',
    status: 'blocked',
    freeze: freeze.name,
    detail: `freeze "${freeze.name}" is in force ${until}`,
  };
}

function windowGate(input: GateInput): Gate {
  const startAtMs = deriveStartAtMs(input.windows, input.notBeforeMs, input.nowMs);
  const state = deriveWindowState(input.windows, input.nowMs);
  if (startAtMs === null) {
    return { kind: 'window', status: 'blocked', startAtMs, detail: 'no deploy window opens again' };
  }
  if (startAtMs <= input.nowMs) {
    const detail =
      state.kind === 'always'
        ? 'no windows: any time'
        : `inside the window "${state.kind === 'open' ? state.window.cron : ''}"`;
    return { kind: 'window', status: 'passed', startAtMs, detail };
  }
  const why =
    input.notBeforeMs !== null && startAtMs === input.notBeforeMs ? 'scheduled' : 'outside every window';
  return { kind: 'window', status: 'waits', startAtMs, detail: `${why}: runs at ${isoAt(startAtMs)}` };
}

export type GateDecision =
  { kind: 'proceed' } | { kind: 'wait'; startAtMs: number | null } | { kind: 'refuse'; reasons: string[] };

/** Refuse when any gate blocks; otherwise proceed (a waiting gate becomes a wait step of the plan). Pure. */
export function decideGates(gates: readonly Gate[]): GateDecision {
  const blocked = gates.filter((g) => g.status === 'blocked');
  if (blocked.length > 0) return { kind: 'refuse', reasons: blocked.map((g) => g.detail) };
  const window = gates.find((g): g is Extract<Gate, { kind: 'window' }> => g.kind === 'window');
  if (window?.status === 'waits') return { kind: 'wait', startAtMs: window.startAtMs };
  return { kind: 'proceed' };
}
