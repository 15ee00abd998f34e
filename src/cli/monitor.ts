import { monitoringOf } from '../config/config-values.js';
import type { Command } from 'commander';
import { parseDurationMs } from '../core/duration.js';
import { ConfigError } from '../core/errors.js';
import { environmentConfig } from '../config/environment-config.js';
import type { Host } from '../hosts/host.js';
import { repeatRounds } from '../monitor/repeat-rounds.js';
import { runMonitorRound, type MonitorRoundReport } from '../monitor/run-monitor-round.js';
import { syncAgentEvents } from '../control-plane/agent-events.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

const MIN_INTERVAL_MS = 1_000;
const MAX_INTERVAL_MS = 600_000;

export function registerMonitor(program: Command, globals: () => GlobalOptions): void {
  program
    .command('monitor')
    .description(
      'watch an environment: collect metrics from every host, probe the public address, evaluate alert rules, report errors (runs until Ctrl-C)',
    )
    .argument('<env>', 'environment name')
    .option('--once', 'run a single round and exit')
    .option('--interval <duration>', 'time between rounds (default: monitoring.interval)')
    .option('--no-probe', 'skip the access probe')
    .option('--no-rollback', 'never roll back, even for rules with rollback: true')
    .option('--json', 'print each round as a JSON line')
    .action(
      async (
        env: string,
        opts: { once?: boolean; interval?: string; probe: boolean; rollback: boolean; json?: boolean },
      ) => {
        await withProject(globals(), async (project) => {
          const m = monitoringOf(environmentConfig(project.config, env));
          const intervalMs = parseDurationMs(opts.interval ?? m.interval);
          if (intervalMs === undefined)
            throw new ConfigError([{ path: '--interval', message: `not a duration: ${opts.interval}` }]);
          const bounded = Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, intervalMs));
          const stop = new AbortController();
          const onSigint = (): void => stop.abort();
          process.on('SIGINT', onSigint);
          process.on('SIGTERM', onSigint);
          try {
            await repeatRounds(
              async () => {
                const report = await runMonitorRound(project, env, {
                  probe: opts.probe,
                  rollback: opts.rollback,
                  reachable: (host) => isReachable(project, host),
                });
                // Agent events (crashes, restarts) go to the ledger too, as with every verb; the sync starts no
                // agent (that would hide the outage being watched), and waits until every agent answers.
                if (report.hosts.every((h) => h.ok))
                  await syncAgentEvents(project, undefined, { startAgents: false });
                process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatRound(report));
              },
              { intervalMs: bounded, signal: stop.signal, once: Boolean(opts.once) },
            );
          } finally {
            process.off('SIGINT', onSigint);
            process.off('SIGTERM', onSigint);
          }
        });
      },
    );
}

/** A monitor observes: it never starts a stopped local agent (that would hide the outage it should see). */
export function isReachable(project: Project, host: Host): Promise<boolean> {
  return host === project.local ? project.local.isAgentRunning() : Promise.resolve(true);
}

function formatRound(r: MonitorRoundReport): string {
  const time = new Date(r.atMs).toISOString().slice(11, 19);
  const hosts = r.hosts
    .map((h) =>
      h.ok
        ? `${h.host} ${h.samples} samples${h.truncated ? yellow(' (some lost)') : ''}`
        : red(`${h.host} unreachable: ${h.error}`),
    )
    .join(', ');
  const probe = r.probe
    ? r.probe.ok
      ? green(`probe ${r.probe.status} ${r.probe.latencyMs}ms`)
      : red(`probe failed: ${r.probe.error}`)
    : dim('no probe');
  const v = r.values;
  const traffic =
    v.requestRate === null
      ? dim('no traffic')
      : `${v.requestRate} req/s, ${v.errorRate ?? 0}% 5xx, p99 ${v.p99 ?? '-'}ms`;
  const lines = [`${dim(time)} ${bold(r.environment)}: ${hosts} · ${probe} · ${traffic}`];
  for (const a of r.alerts) {
    const phase =
      a.phase === 'firing' ? red('firing') : a.phase === 'pending' ? yellow('pending') : green('ok');
    lines.push(
      `  alert ${a.name} (${a.condition}): ${phase}${a.value === null ? dim(' no data') : ` at ${a.value}`}`,
    );
  }
  for (const e of r.events) lines.push(`  ${yellow('→')} ${e}`);
  if (r.rollback && r.rollback.kind !== 'skipped')
    lines.push(
      r.rollback.kind === 'rolled-back'
        ? `  ${yellow('rolled back')} ${r.rollback.from} → ${r.rollback.to}: ${r.rollback.outcome}`
        : `  ${red('rollback failed')}: ${r.rollback.error}`,
    );
  return `${lines.join('\n')}\n`;
}
