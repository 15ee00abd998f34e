import { formatDurationMs } from '../core/duration.js';
import type { EnvironmentStatus, HostStatus } from '../operations/collect-status.js';
import { formatEdgeStatus } from './format-edge-status.js';
import { formatMaintenanceView } from './format-maintenance.js';
import { formatFrontDoorStatus } from './format-front-door-status.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

// How `slipway status` prints an environment, here and over --server (its own file, so that the remote status does
// not load the local one's code).

function printHostStatus(environment: string, h: HostStatus, named: boolean, now: number): void {
  const indent = named ? '    ' : '  ';
  if (named)
    process.stdout.write(
      `  ${bold(h.host)}${h.agent ? dim(` agent ${h.agent.version}, pid ${h.agent.pid}`) : ''}\n`,
    );
  if (h.error) {
    process.stdout.write(`${indent}${red(`unreachable: ${h.error}`)}\n`);
    return;
  }
  if (!h.agent) {
    // Status only reads: it starts no agent (one stopped on purpose stays stopped) and says how to.
    const start =
      h.host === 'local'
        ? `"slipway agent start" starts it again, "slipway deploy ${environment}" too`
        : `"slipway deploy ${environment}" starts it`;
    process.stdout.write(`${indent}${yellow('agent not running')} — ${start}\n`);
    return;
  }
  for (const t of h.targets) {
    const split = h.route?.split;
    // Several instances: each member of the serving group, and whether the router sends it requests now.
    const group = h.route?.group ?? [];
    const member = group.findIndex((m) => m.id === t.id);
    // A worker process's instance says which it is; it has no port and no route.
    const role = t.process
      ? `${t.process.name} ${t.process.instance}`
      : split?.canary === t.id
        ? yellow(`canary ${split.weight}%`)
        : member >= 0
          ? group[member]?.inRotation
            ? green(`serving ${member + 1}/${group.length}`)
            : red(`out ${member + 1}/${group.length}`)
          : h.route?.active === t.id
            ? green(split ? `stable ${100 - split.weight}%` : 'serving')
            : h.route?.draining.includes(t.id)
              ? yellow('draining')
              : t.stopAtMs
                ? 'warm'
                : 'idle';
    const health =
      t.health === 'healthy' ? green(t.health) : t.health === 'unhealthy' ? red(t.health) : dim(t.health);
    const warm = t.stopAtMs ? `, stops in ${formatDurationMs(Math.max(0, t.stopAtMs - now))}` : '';
    const exit = t.lastExit
      ? dim(
          `, last exit ${t.lastExit.code ?? t.lastExit.signal} ${formatDurationMs(now - t.lastExit.atMs)} ago`,
        )
      : '';
    process.stdout.write(
      `${indent}${role.padEnd(16)} ${bold(t.release.padEnd(12))} ${dim(t.id)}  ${t.process ? '' : `port ${t.port}  `}${t.containerId ? `container ${t.containerId.slice(0, 12)}` : `pid ${t.pid ?? '-'}`}  ${t.state}  ${health}  up ${formatDurationMs(now - t.startedAtMs)}  restarts ${t.restarts}${warm}${exit}\n`,
    );
  }
  if (h.targets.length === 0) process.stdout.write(`${indent}no targets\n`);
}

export function printStatus(s: EnvironmentStatus): void {
  const now = Date.now();
  process.stdout.write(
    `${bold(s.environment)} ${dim(`${s.strategy}, router ${s.bindAddress}:${s.publicPort}`)}\n`,
  );
  for (const h of s.hosts) printHostStatus(s.environment, h, s.hosts.length > 1, now);
  // Absent from an older server's status.
  if (s.frontDoor) process.stdout.write(`${formatFrontDoorStatus(s.frontDoor, now).join('\n')}\n`);
  if (s.edge) process.stdout.write(`${formatEdgeStatus(s.edge, now).join('\n')}\n`);
  // Absent from an older server's status.
  for (const line of s.maintenance ? formatMaintenanceView(s.maintenance, now) : [])
    process.stdout.write(`${line}\n`);
  if (s.lastDeployment) {
    const d = s.lastDeployment;
    const phase =
      d.phase === 'succeeded' ? green(d.phase) : d.phase === 'running' ? yellow(d.phase) : red(d.phase);
    process.stdout.write(
      `  last: ${d.kind} ${d.release} ${phase} ${formatDurationMs(now - d.atMs)} ago by ${d.by} ${dim(d.id)}\n`,
    );
    if (d.currentStep) process.stdout.write(`  now: ${d.currentStep}\n`);
    if (s.waitingUntilMs !== null && d.phase === 'running')
      process.stdout.write(`  ${yellow(`waiting: runs at ${new Date(s.waitingUntilMs).toISOString()}`)}\n`);
    if (s.canaryVerdict) process.stdout.write(`  analysis: ${s.canaryVerdict.message}\n`);
    // Absent from an older server's status.
    if (s.secretChanges) process.stdout.write(`  secrets: ${s.secretChanges.message}\n`);
    if (d.phase === 'interrupted')
      process.stdout.write(`  ${yellow(`resume it with: slipway deploy ${s.environment} --resume`)}\n`);
  }
  for (const a of s.monitoring.alerts)
    process.stdout.write(
      `  alert: ${a.phase === 'firing' ? red(`${a.name} firing`) : yellow(`${a.name} pending`)}${a.severity ? ` (${a.severity})` : ''} since ${formatDurationMs(now - a.sinceMs)} ago, value ${a.value ?? '-'}\n`,
    );
  for (const i of s.monitoring.incidents)
    process.stdout.write(`  incident: ${red(i.key)} open for ${formatDurationMs(now - i.sinceMs)}\n`);
  if (s.database?.frozen) process.stdout.write(`  ${red(`frozen: ${s.database.frozen}`)}\n`);
  if (s.database?.held.length)
    process.stdout.write(
      `  ${yellow(`held contract migrations: ${s.database.held.join(', ')} (slipway migrate ${s.environment} --contract)`)}\n`,
    );
  if (s.markedGood)
    process.stdout.write(
      `  good: ${s.markedGood.version} (bake passed ${new Date(s.markedGood.atMs).toISOString()})\n`,
    );
  if (s.verification) {
    const v = s.verification;
    process.stdout.write(
      v.passed
        ? `  verification: ${v.release} ${green('passed')} (${v.checks} checks) ${formatDurationMs(now - v.atMs)} ago\n`
        : `  verification: ${v.release} ${red('failed')} ${formatDurationMs(now - v.atMs)} ago; blocked from promotion\n${v.failures.map((f) => `    ${red('✖')} ${f}\n`).join('')}`,
    );
  }
  process.stdout.write(
    s.lock
      ? `  lock: held by ${s.lock.holder} since ${new Date(s.lock.sinceMs).toISOString()}${s.lock.stale ? ' (stale: holder gone)' : ''}\n`
      : `  lock: free\n`,
  );
}
