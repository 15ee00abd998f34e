import { formatDurationMs } from '../core/duration.js';
import { isoAt } from '../core/clock.js';
import { describeAwaitWindow, describeBakeRules } from '../pipeline/describe-pipeline-steps.js';
import { describeRequirements } from '../pipeline/evaluate-approvals.js';
import { describeVerifyStep } from '../verify/describe-verify-step.js';
import type { PlannedFrontDoor, Step, StepKind, StepOf } from './steps.js';
import { describeHookStep, titleHookStep } from './hook-steps.js';
import { describeWorkerStep, titleWorkerStep } from './worker-steps.js';
import { describeScheduleStep, titleScheduleStep } from './schedule-steps.js';
import {
  describeBackupStep,
  describeMigrateStep,
  titleMigrateStep,
} from '../migrate/describe-migration-steps.js';

type Describers = { [K in StepKind]: (step: StepOf<K>) => string };

/** One line per step kind; a new kind without a describer does not compile. */
const DESCRIBERS: Describers = {
  'install-release': (s) => `install release ${s.release} (${s.sha256.slice(0, 12)}) on ${s.host}`,
  'ensure-route': (s) =>
    `router of ${s.app} listens on ${s.bindAddress}:${s.publicPort} on ${s.host}` +
    (s.frontDoor
      ? `; ${s.frontDoor.names.join(', ')}${s.frontDoor.pathPrefix === '/' ? '' : s.frontDoor.pathPrefix} on its front door :${s.frontDoor.httpPort}` +
        (s.frontDoor.certificates.length > 0
          ? ` and HTTPS :${s.frontDoor.httpsPort} (${s.frontDoor.certificates.length} certificate${s.frontDoor.certificates.length > 1 ? 's' : ''})`
          : '')
      : ''),
  'start-target': (s) =>
    `start target ${s.targetId} (${s.release}) on ${s.host}: ${s.command}` +
    (s.secretNames.length ? ` [secrets: ${s.secretNames.join(', ')}]` : ''),
  'wait-healthy': (s) =>
    `health check ${s.targetId} on ${s.host}: GET ${s.path} ` +
    (s.healthCheck
      ? `every ${formatDurationMs(s.healthCheck.intervalMs)} (timeout ${formatDurationMs(s.healthCheck.timeoutMs)}) until ${s.healthCheck.healthyThreshold} checks in a row pass, up to ${formatDurationMs(s.timeoutMs)}; unhealthy after ${s.healthCheck.unhealthyThreshold} failed checks in a row`
      : `until healthy (up to ${formatDurationMs(s.timeoutMs)})`),
  'switch-traffic': (s) =>
    `switch traffic of ${s.app} on ${s.host} to ${s.group ? `${s.group.length} instances ${s.group.join(', ')}` : s.targetId} (${s.release}); old target drains up to ${formatDurationMs(s.drainTimeoutMs)}`,
  'stop-target': (s) =>
    `stop target ${s.targetId} (${s.release}) on ${s.host} after draining up to ${formatDurationMs(s.drainTimeoutMs)}`,
  'retire-target': (s) =>
    `keep ${s.targetId} (${s.release}) warm on ${s.host} for ${formatDurationMs(s.afterMs)}, then stop it`,
  'prune-releases': (s) => `keep the newest ${s.keep} releases of ${s.app} on ${s.host}, remove older ones`,
  'set-weight': (s) =>
    s.weight === 0
      ? `send no traffic to the canary ${s.canaryTargetId} on ${s.host}`
      : `send ${s.weight}% of users (sticky cookie ${s.cookie}) to the canary ${s.canaryTargetId} (${s.canaryRelease}) on ${s.host}; header ${s.header}: always opts in`,
  pause: (s) =>
    s.durationMs === null
      ? 'wait until "slipway promote" (or abort)'
      : `wait ${formatDurationMs(s.durationMs)} while the analysis runs`,
  'ensure-edge': (s) =>
    `edge router of ${s.app} on ${s.host} listens on ${s.bindAddress}:${s.publicPort} and balances across ${s.upstreams.map((u) => `${u.id} (${u.address}:${u.port})`).join(', ')}, health-checked on ${s.healthCheck.path}` +
    (s.frontDoor ? `; ${describeEdgeDoor(s.frontDoor)}` : ''),
  'obtain-certificate': (s) =>
    `certificate for ${s.frontDoor.names.join(', ')} from ${s.frontDoor.acme?.directoryUrl ?? 'the ACME CA'}, obtained here (HTTP-01 answered by the front door of ${s.hosts.join(', ')}) when none is stored or it is due, and sent to each of them`,
  'set-edge-member': (s) =>
    s.enabled
      ? `put ${s.member} back into the edge on ${s.host}`
      : `take ${s.member} out of the edge on ${s.host} (its requests finish, up to ${formatDurationMs(s.drainTimeoutMs)})`,
  'await-window': (s) => describeAwaitWindow(s),
  bake: (s) =>
    `watch ${s.release} for ${formatDurationMs(s.durationMs)}: ${describeBakeRules(s)}; roll back when a rule fails`,
  verify: (s) => describeVerifyStep(s),
  analyze: (s) =>
    s.promotionGate
      ? 'promote only on a successful analysis verdict; otherwise wait for "slipway promote" (or a successful verdict)'
      : `wait for a successful analysis verdict (inconclusive after ${formatDurationMs(s.timeoutMs)} waits for promote)`,
  'backup-database': describeBackupStep,
  migrate: describeMigrateStep,
  'await-approval': (s) =>
    `wait for approval of the ${s.subject} by ${describeRequirements(s.requirements)}` +
    (s.allowSelfApproval ? '' : ', not by the person who deploys') +
    (s.expiresAfterMs === null ? '' : `; approvals count for ${formatDurationMs(s.expiresAfterMs)}`) +
    ' ("slipway approve <deployment>" / "slipway reject")',
  'run-hook': describeHookStep,
  'start-worker': describeWorkerStep,
  'wait-worker': describeWorkerStep,
  'stop-worker': describeWorkerStep,
  'set-schedule': describeScheduleStep,
};

/** The names an edge answers to on its host's front door: the fleet behind one name. */
function describeEdgeDoor(door: PlannedFrontDoor): string {
  const count = door.certificates.length;
  const https =
    count > 0 ? ` and HTTPS :${door.httpsPort} (${count} certificate${count > 1 ? 's' : ''})` : '';
  const prefix = door.pathPrefix === '/' ? '' : door.pathPrefix;
  return `${door.names.join(', ')}${prefix} on its front door :${door.httpPort}${https}, for the whole fleet`;
}

export function describeStep(step: Step): string {
  return (DESCRIBERS[step.kind] as (s: Step) => string)(step);
}

/** A short title for progress lines. */
export function titleStep(step: Step): string {
  switch (step.kind) {
    case 'install-release':
      return `install ${step.release}`;
    case 'ensure-route':
      return `router :${step.publicPort}`;
    case 'start-target':
      return `start ${step.release}`;
    case 'wait-healthy':
      return `health check ${step.release}`;
    case 'switch-traffic':
      return `switch traffic to ${step.release}${step.group ? ` (${step.group.length} instances)` : ''}`;
    case 'stop-target':
      return `stop ${step.release} (${step.targetId})`;
    case 'retire-target':
      return `keep ${step.release} warm ${formatDurationMs(step.afterMs)}`;
    case 'prune-releases':
      return `prune releases (keep ${step.keep})`;
    case 'set-weight':
      return step.weight === 0 ? 'canary weight 0' : `canary weight ${step.weight}%`;
    case 'pause':
      return step.durationMs === null ? 'wait for promote' : `pause ${formatDurationMs(step.durationMs)}`;
    case 'analyze':
      return step.promotionGate ? 'promotion gate' : 'analysis verdict';
    case 'ensure-edge':
      return step.frontDoor
        ? `edge :${step.publicPort}, ${step.frontDoor.names[0] ?? ''}`
        : `edge :${step.publicPort}`;
    case 'obtain-certificate':
      return `certificate for ${step.frontDoor.names[0] ?? ''}`;
    case 'set-edge-member':
      return step.enabled ? `${step.member} back in the edge` : `${step.member} out of the edge`;
    case 'backup-database':
      return `back up ${step.database.kind} database`;
    case 'migrate':
      return titleMigrateStep(step);
    case 'await-window':
      return step.notBeforeMs !== null ? `wait until ${isoAt(step.notBeforeMs)}` : 'wait for a deploy window';
    case 'bake':
      return `bake ${step.release} ${formatDurationMs(step.durationMs)}`;
    case 'await-approval':
      return `approval by ${describeRequirements(step.requirements)}`;
    case 'verify':
      return `verify ${step.release} in ${step.environment}`;
    case 'run-hook':
      return titleHookStep(step);
    case 'start-worker':
    case 'wait-worker':
    case 'stop-worker':
      return titleWorkerStep(step);
    case 'set-schedule':
      return titleScheduleStep(step);
  }
}
