import type { Command } from 'commander';
import { formatDurationMs } from '../core/duration.js';
import { hostsOf, isLockStale } from '../executor/run-deployment.js';
import type { Host } from '../hosts/host.js';
import { titleStep } from '../plan/describe-step.js';
import type { Plan } from '../plan/steps.js';
import { derivePhase } from '../executor/derive-phase.js';
import { loadDatabaseLedgerStatus } from '../migrate/held-migrations.js';
import { describeFailure } from '../verify/verification-check.js';
import { hostsToSync, syncAgentEvents } from './agent-events.js';
import { loadMonitorStatus } from '../monitor/monitor-status.js';
import { withProject, type GlobalOptions, type Project } from './project.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';
import { collectPipelineStatus } from './pipeline-status.js';

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('what serves each environment now: targets, health, warm releases, last deployment, lock')
    .argument('[env]', 'environment name (default: all)')
    .option('--json', 'print as JSON')
    .action(async (env: string | undefined, opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        await syncAgentEvents(project, hostsToSync(project, env));
        const names = env ? [env] : Object.keys(project.config.environments);
        const statuses = [];
        for (const name of names) statuses.push(await collectStatus(project, name));
        if (opts.json) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
        else for (const s of statuses) printStatus(s);
      });
    });
}

/** The step a running deployment is at, e.g. `wait for promote (stage "wait for promote", 5 of 9)`. */
async function describeCurrentStep(
  project: Project,
  deploymentId: string,
  plan: Plan,
): Promise<string | null> {
  const running = (await project.store.listSteps(deploymentId)).filter((s) => s.status === 'running').at(-1);
  if (!running) return null;
  let index = 0;
  for (const [n, stage] of plan.stages.entries()) {
    for (const step of stage.steps) {
      if (index++ === running.index)
        return `${titleStep(step)} on ${step.host} (stage "${stage.name}", ${n + 1} of ${plan.stages.length})`;
    }
  }
  return null;
}

/** One host's part of the status; an unreachable host is reported, not fatal. */
async function collectHostStatus(project: Project, host: Host) {
  try {
    // A local agent that served before but is gone (killed, machine rebooted) is started again: it adopts
    // its targets. On SSH hosts the bridge does the same.
    const running =
      host !== project.local || (await project.local.isAgentRunning()) || project.local.hasState();
    const state = running ? await (await host.agent()).call('state', {}) : null;
    return {
      host: host.name,
      error: null,
      agent: state ? { pid: state.pid, version: state.agentVersion } : null,
      route: state?.routes.find((r) => r.app === project.config.app) ?? null,
      targets: (state?.targets ?? []).filter((t) => t.app === project.config.app),
    };
  } catch (err) {
    return {
      host: host.name,
      error: err instanceof Error ? err.message : String(err),
      agent: null,
      route: null,
      targets: [],
    };
  }
}

async function collectStatus(project: Project, environment: string) {
  const envConfig = project.config.environments[environment];
  if (!envConfig) throw new Error(`no environment named "${environment}"`);
  const hosts = await Promise.all(
    hostsOf(project, environment).map((host) => collectHostStatus(project, host)),
  );
  const [last] = await project.store.listDeployments({ app: project.config.app, environment, limit: 1 });
  const lock = await project.store.getLock(project.config.app, environment);
  const currentStep =
    last && last.outcome === null ? await describeCurrentStep(project, last.id, last.plan as Plan) : null;
  const [verdict] = last
    ? await project.store.listEvents({
        app: project.config.app,
        environment,
        kinds: ['canary.verdict'],
        limit: 1,
      })
    : [];
  const pipeline = await collectPipelineStatus(
    project,
    environment,
    last?.outcome === null ? { id: last.id, plan: last.plan as Plan } : null,
  );
  const serving =
    hosts.flatMap((h) => h.targets.filter((t) => t.id === h.route?.active)).map((t) => t.release)[0] ?? null;
  const verified = serving
    ? await project.store.latestVerification({ app: project.config.app, environment, release: serving })
    : undefined;
  return {
    environment,
    strategy: envConfig.strategy.kind,
    publicPort: envConfig.publicPort,
    bindAddress: envConfig.bindAddress,
    hosts,
    lastDeployment: last
      ? {
          id: last.id,
          kind: last.kind,
          release: last.releaseVersion,
          by: last.createdBy,
          atMs: last.createdAtMs,
          phase: derivePhase(last, lock?.deploymentId === last.id && !isLockStale(lock)),
          error: last.error,
          currentStep,
        }
      : null,
    canaryVerdict:
      verdict && verdict.deploymentId === last?.id
        ? { atMs: verdict.atMs, message: verdict.message, verdict: verdict.data }
        : null,
    monitoring: await loadMonitorStatus(project.store, project.config.app, environment),
    database: envConfig.database
      ? await loadDatabaseLedgerStatus(project.store, project.config.app, environment)
      : null,
    ...pipeline,
    verification: verified
      ? {
          release: verified.release,
          passed: verified.passed,
          atMs: verified.atMs,
          checks: verified.checks.length,
          failures: verified.checks.filter((c) => !c.passed).map(describeFailure),
        }
      : null,
    lock: lock
      ? {
          holder: lock.holder,
          sinceMs: lock.acquiredAtMs,
          deploymentId: lock.deploymentId,
          stale: isLockStale(lock),
        }
      : null,
  };
}

function printHostStatus(
  environment: string,
  h: Awaited<ReturnType<typeof collectHostStatus>>,
  named: boolean,
  now: number,
): void {
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
    process.stdout.write(
      `${indent}${yellow('agent not running')} — nothing is served; "slipway deploy ${environment}" starts it\n`,
    );
    return;
  }
  for (const t of h.targets) {
    const split = h.route?.split;
    const role =
      split?.canary === t.id
        ? yellow(`canary ${split.weight}%`)
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
      `${indent}${role.padEnd(16)} ${bold(t.release.padEnd(12))} ${dim(t.id)}  port ${t.port}  ${t.containerId ? `container ${t.containerId.slice(0, 12)}` : `pid ${t.pid ?? '-'}`}  ${t.state}  ${health}  up ${formatDurationMs(now - t.startedAtMs)}  restarts ${t.restarts}${warm}${exit}\n`,
    );
  }
  if (h.targets.length === 0) process.stdout.write(`${indent}no targets\n`);
}

function printStatus(s: Awaited<ReturnType<typeof collectStatus>>): void {
  const now = Date.now();
  process.stdout.write(
    `${bold(s.environment)} ${dim(`${s.strategy}, router ${s.bindAddress}:${s.publicPort}`)}\n`,
  );
  for (const h of s.hosts) printHostStatus(s.environment, h, s.hosts.length > 1, now);
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
