import type { Command } from 'commander';
import type { MonitorSample } from '../agent/monitor-protocol.js';
import { formatDurationMs } from '../core/duration.js';
import { hostsOf } from '../hosts/hosts-of.js';
import type { Host } from '../hosts/host.js';
import { isReachable } from './monitor.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { bold, dim, green, red, yellow } from './progress-renderer.js';

/** Traffic is summed over the samples of this last stretch of time. */
const TRAFFIC_WINDOW_MS = 30_000;
const REFRESH_MS = 2_000;
const CALL_TIMEOUT_MS = 5_000;

interface HostView {
  host: string;
  error: string | null;
  latest: MonitorSample | null;
  traffic: Array<{
    release: string;
    rps: number;
    errorPct: number | null;
    p50: number | null;
    p99: number | null;
  }>;
}

export function registerTop(program: Command, globals: () => GlobalOptions): void {
  program
    .command('top')
    .description(
      'a live view of an environment: hosts (CPU, memory, load, disk, network), targets, traffic per release',
    )
    .argument('<env>', 'environment name')
    .option('--once', 'print one view and exit (also what happens when stdout is not a terminal)')
    .option('--json', 'print the view as JSON (implies --once)')
    .action(async (env: string, opts: { once?: boolean; json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const live = !opts.once && !opts.json && process.stdout.isTTY;
        for (;;) {
          const views = await Promise.all(hostsOf(project, env).map((h) => readHost(project, h)));
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
            return;
          }
          const text = renderTop(env, views, Date.now());
          if (!live) {
            process.stdout.write(text);
            return;
          }
          process.stdout.write(`\x1b[H\x1b[2J${text}${dim('refreshing every 2s; Ctrl-C to quit')}\n`);
          await new Promise((r) => setTimeout(r, REFRESH_MS));
        }
      });
    });
}

async function readHost(project: Project, host: Host): Promise<HostView> {
  const none = { host: host.name, latest: null, traffic: [] };
  try {
    if (!(await isReachable(project, host))) return { ...none, error: 'agent not running' };
    const call = (async () =>
      (await host.agent({ start: false })).call('monitor', { afterMs: Date.now() - TRAFFIC_WINDOW_MS }))();
    const answer = await Promise.race([
      call,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer')), CALL_TIMEOUT_MS).unref(),
      ),
    ]);
    const app = project.config.app;
    const samples = answer.samples;
    return {
      host: host.name,
      error: null,
      latest: samples.at(-1) ?? null,
      traffic: summarizeTraffic(app, samples),
    };
  } catch (err) {
    return { ...none, error: err instanceof Error ? err.message : String(err) };
  }
}

function summarizeTraffic(app: string, samples: readonly MonitorSample[]): HostView['traffic'] {
  const byRelease = new Map<
    string,
    { requests: number; errors: number; ms: number; p50: number | null; p99: number | null }
  >();
  for (const s of samples) {
    for (const t of s.traffic) {
      if (t.app !== app) continue;
      const r = byRelease.get(t.release) ?? { requests: 0, errors: 0, ms: 0, p50: null, p99: null };
      r.requests += t.requests;
      r.errors += t.errors5xx;
      r.ms += s.intervalMs;
      r.p50 = t.p50Ms ?? r.p50;
      r.p99 = Math.max(r.p99 ?? 0, t.p99Ms ?? 0) || r.p99;
      byRelease.set(t.release, r);
    }
  }
  return [...byRelease.entries()].map(([release, r]) => ({
    release,
    rps: r.ms > 0 ? Math.round((r.requests * 10_000) / r.ms) / 10 : 0,
    errorPct: r.requests > 0 ? Math.round((1000 * r.errors) / r.requests) / 10 : null,
    p50: r.p50,
    p99: r.p99,
  }));
}

export function renderTop(env: string, views: readonly HostView[], nowMs: number): string {
  const lines = [`${bold(`slipway top ${env}`)} ${dim(new Date(nowMs).toISOString())}`];
  for (const v of views) {
    lines.push('', bold(v.host));
    if (v.error) {
      lines.push(`  ${red(`unreachable: ${v.error}`)}`);
      continue;
    }
    const s = v.latest;
    if (!s) {
      lines.push(`  ${dim('no samples yet (the agent samples every few seconds)')}`);
      continue;
    }
    const h = s.host;
    lines.push(
      `  cpu ${pct(h.cpuPercent)}  mem ${pct(h.memoryPercent)}  load ${h.load1 ?? '-'} ${h.load5 ?? '-'} ${h.load15 ?? '-'}  disk ${pct(h.diskPercent)}  net ↓${bytes(s.net?.rxBytesPerSec)}/s ↑${bytes(s.net?.txBytesPerSec)}/s  ${dim(`sampled ${formatDurationMs(Math.max(0, nowMs - s.atMs))} ago`)}`,
    );
    lines.push(
      `  ${dim('TARGET'.padEnd(34))} ${dim('RELEASE'.padEnd(12))} ${dim('STATE'.padEnd(8))} ${dim('RESTARTS')} ${dim('RSS'.padStart(9))} ${dim('UPTIME')}`,
    );
    for (const t of s.targets) {
      const state = t.state === 'running' ? green(t.state.padEnd(8)) : yellow(t.state.padEnd(8));
      lines.push(
        `  ${t.id.padEnd(34)} ${t.release.padEnd(12)} ${state} ${String(t.restarts).padStart(8)} ${bytes(t.rssBytes).padStart(9)} ${t.uptimeMs === null ? '-' : formatDurationMs(t.uptimeMs)}`,
      );
    }
    if (s.targets.length === 0) lines.push(`  ${dim('no targets')}`);
    lines.push(
      `  ${dim('RELEASE'.padEnd(12))} ${dim('REQ/S'.padStart(7))} ${dim('5XX'.padStart(6))} ${dim('P50'.padStart(7))} ${dim('P99'.padStart(7))}  ${dim('(last 30s)')}`,
    );
    for (const t of v.traffic) {
      const err = t.errorPct === null ? '-' : `${t.errorPct}%`;
      lines.push(
        `  ${t.release.padEnd(12)} ${String(t.rps).padStart(7)} ${t.errorPct ? red(err.padStart(6)) : err.padStart(6)} ${ms(t.p50).padStart(7)} ${ms(t.p99).padStart(7)}`,
      );
    }
    if (v.traffic.length === 0) lines.push(`  ${dim('no traffic')}`);
  }
  return `${lines.join('\n')}\n`;
}

function pct(n: number | null): string {
  return n === null ? '-' : `${Math.round(n)}%`;
}

function ms(n: number | null): string {
  return n === null ? '-' : `${Math.round(n)}ms`;
}

function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)}M`;
  return `${(n / 1024 ** 3).toFixed(1)}G`;
}
