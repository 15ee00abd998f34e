import type { Command } from 'commander';
import { formatDurationMs } from '../core/duration.js';
import { isLockStale } from '../executor/run-deployment.js';
import { derivePhase } from '../executor/derive-phase.js';
import { syncAgentEvents } from './agent-events.js';
import { withProject, type GlobalOptions, type Project } from './project.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

export function registerStatus(program: Command, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description('what serves each environment now: targets, health, warm releases, last deployment, lock')
    .argument('[env]', 'environment name (default: all)')
    .option('--json', 'print as JSON')
    .action(async (env: string | undefined, opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        await syncAgentEvents(project);
        const names = env ? [env] : Object.keys(project.config.environments);
        const statuses = [];
        for (const name of names) statuses.push(await collectStatus(project, name));
        if (opts.json) process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
        else for (const s of statuses) printStatus(s);
      });
    });
}

async function collectStatus(project: Project, environment: string) {
  const envConfig = project.config.environments[environment];
  if (!envConfig) throw new Error(`no environment named "${environment}"`);
  // An agent that served before but is gone (killed, machine rebooted) is started again: it adopts its targets.
  const running = (await project.local.isAgentRunning()) || project.local.hasState();
  const state = running ? await (await project.local.agent()).call('state', {}) : null;
  const route = state?.routes.find((r) => r.app === project.config.app) ?? null;
  const targets = (state?.targets ?? []).filter((t) => t.app === project.config.app);
  const [last] = await project.store.listDeployments({ app: project.config.app, environment, limit: 1 });
  const lock = await project.store.getLock(project.config.app, environment);
  const [verdict] = last
    ? await project.store.listEvents({
        app: project.config.app,
        environment,
        kinds: ['canary.verdict'],
        limit: 1,
      })
    : [];
  return {
    environment,
    strategy: envConfig.strategy.kind,
    publicPort: envConfig.publicPort,
    bindAddress: envConfig.bindAddress,
    agent: state ? { pid: state.pid, version: state.agentVersion } : null,
    route,
    targets,
    lastDeployment: last
      ? {
          id: last.id,
          kind: last.kind,
          release: last.releaseVersion,
          by: last.createdBy,
          atMs: last.createdAtMs,
          phase: derivePhase(last, lock?.deploymentId === last.id && !isLockStale(lock)),
          error: last.error,
        }
      : null,
    canaryVerdict:
      verdict && verdict.deploymentId === last?.id
        ? { atMs: verdict.atMs, message: verdict.message, verdict: verdict.data }
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

function printStatus(s: Awaited<ReturnType<typeof collectStatus>>): void {
  const now = Date.now();
  process.stdout.write(
    `${bold(s.environment)} ${dim(`${s.strategy}, router ${s.bindAddress}:${s.publicPort}`)}\n`,
  );
  if (!s.agent) {
    process.stdout.write(
      `  ${yellow('agent not running')} — nothing is served; "slipway deploy ${s.environment}" starts it\n`,
    );
  }
  for (const t of s.targets) {
    const split = s.route?.split;
    const role =
      split?.canary === t.id
        ? yellow(`canary ${split.weight}%`)
        : s.route?.active === t.id
          ? green(split ? `stable ${100 - split.weight}%` : 'serving')
          : s.route?.draining.includes(t.id)
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
      `  ${role.padEnd(16)} ${bold(t.release.padEnd(12))} ${dim(t.id)}  port ${t.port}  pid ${t.pid ?? '-'}  ${t.state}  ${health}  up ${formatDurationMs(now - t.startedAtMs)}  restarts ${t.restarts}${warm}${exit}\n`,
    );
  }
  if (s.agent && s.targets.length === 0) process.stdout.write('  no targets\n');
  if (s.lastDeployment) {
    const d = s.lastDeployment;
    const phase =
      d.phase === 'succeeded' ? green(d.phase) : d.phase === 'running' ? yellow(d.phase) : red(d.phase);
    process.stdout.write(
      `  last: ${d.kind} ${d.release} ${phase} ${formatDurationMs(now - d.atMs)} ago by ${d.by} ${dim(d.id)}\n`,
    );
    if (s.canaryVerdict) process.stdout.write(`  analysis: ${s.canaryVerdict.message}\n`);
    if (d.phase === 'interrupted')
      process.stdout.write(`  ${yellow(`resume it with: slipway deploy ${s.environment} --resume`)}\n`);
  }
  process.stdout.write(
    s.lock
      ? `  lock: held by ${s.lock.holder} since ${new Date(s.lock.sinceMs).toISOString()}${s.lock.stale ? ' (stale: holder gone)' : ''}\n`
      : `  lock: free\n`,
  );
}
