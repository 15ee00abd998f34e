import type { Step, StepOf } from '../plan/steps.js';

/**
 * What putting a failed batch back really did, host by host, from the outcome of each put-back step: a step
 * that failed (an SSH timeout to a host whose link was cut) or was never tried (the put-back stops at its first
 * failed stage) is said so, instead of claiming the batch is back on the previous release. Pure.
 */
export type RecoveryStepOutcome =
  { status: 'succeeded' } | { status: 'failed'; error: string } | { status: 'not-tried' };

export interface RecoveryStepResult {
  step: Step;
  outcome: RecoveryStepOutcome;
}

export interface BatchRecovery {
  batch: number;
  /** The batch's hosts, in plan order. */
  hosts: string[];
  /** Whether the batch's hosts were taken out of an edge (so that staying out of it is worth saying). */
  edge: boolean;
  /** Every put-back step of the batch, with its outcome. */
  steps: RecoveryStepResult[];
  /** The failure that stopped the batch. */
  error: string;
}

type PutBackKind = 'switch-traffic' | 'stop-target' | 'set-edge-member';
type Phrases = {
  [K in PutBackKind]: {
    succeeded: (s: StepOf<K>) => string;
    failed: (s: StepOf<K>, error: string) => string;
    notTried: (s: StepOf<K>) => string;
  };
};

/** How each kind of put-back step reads, by outcome; a new kind of put-back step needs its phrases here. */
const PHRASES: Phrases = {
  'switch-traffic': {
    succeeded: (s) => `back on ${s.release}`,
    failed: (s, error) => `switching back to ${s.release} failed (${error})`,
    notTried: (s) => `not switched back to ${s.release}`,
  },
  'stop-target': {
    succeeded: (s) => `${s.release} stopped`,
    failed: (s, error) => `stopping ${s.release} failed (${error})`,
    notTried: (s) => `${s.release} not stopped`,
  },
  'set-edge-member': {
    succeeded: () => 'back in the edge',
    failed: (_s, error) => `still out of the edge (putting it back failed: ${error})`,
    notTried: () => 'still out of the edge',
  },
};

const ORDER: PutBackKind[] = ['switch-traffic', 'stop-target', 'set-edge-member'];

export function describeBatchRecovery(recovery: BatchRecovery): string {
  const clauses = recovery.hosts.map((host) => `${host}: ${describeHost(recovery, host).join(', ')}`);
  const allBack =
    recovery.steps.every((s) => s.outcome.status === 'succeeded') &&
    recovery.hosts.every((host) => stepOf(recovery, host, 'switch-traffic') !== undefined);
  const notTried = recovery.steps.some((s) => s.outcome.status === 'not-tried');
  const headline = allBack
    ? `batch ${recovery.batch} failed and was put back on the previous release`
    : `batch ${recovery.batch} failed and was not all put back`;
  const after = notTried ? '; the put-back stopped at its first failure' : '';
  return `${headline} (${clauses.join('; ')}${after}): ${recovery.error}`;
}

function describeHost(recovery: BatchRecovery, host: string): string[] {
  const parts: string[] = [];
  if (!stepOf(recovery, host, 'switch-traffic')) parts.push('no previous release to go back to');
  for (const kind of ORDER) {
    const result = stepOf(recovery, host, kind);
    if (result) parts.push(phrase(kind, result));
  }
  if (recovery.edge && !stepOf(recovery, host, 'set-edge-member')) parts.push('left out of the edge');
  return parts;
}

function phrase(kind: PutBackKind, { step, outcome }: RecoveryStepResult): string {
  const phrases = PHRASES[kind] as {
    succeeded: (s: Step) => string;
    failed: (s: Step, error: string) => string;
    notTried: (s: Step) => string;
  };
  switch (outcome.status) {
    case 'succeeded':
      return phrases.succeeded(step);
    case 'failed':
      return phrases.failed(step, firstLine(outcome.error));
    case 'not-tried':
      return phrases.notTried(step);
  }
}

/** The put-back step of this kind for this host (a batch puts each host back at most once per kind). */
function stepOf(recovery: BatchRecovery, host: string, kind: PutBackKind): RecoveryStepResult | undefined {
  return recovery.steps.find(
    ({ step }) =>
      step.kind === kind &&
      (step.kind === 'set-edge-member' ? step.member === host && step.enabled : step.host === host),
  );
}

/** A step's error may carry a hint on further lines: the summary keeps its first line. */
function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
