import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLoad, type LoadReport } from '../helpers/load-loop.js';
import type { TestProject } from '../helpers/project.js';

// Faults under steady load on the local host, as the fault suite asserts them and `npm run bench faults` measures
// them: one place for both, so the figures in docs/benchmarks.md come from what the tests run.

/** How long a fault scenario lets the load run after the fault (bounded like every load loop here). */
const AFTER_FAULT_MS = 1_500;
const PROBE_EVERY_MS = 10;

export interface FaultFigures {
  load: LoadReport;
  /** From the SIGKILL until the killed process answered again (a new pid), in ms; null when it did not. */
  backAfterMs: number | null;
  /** From the SIGKILL until a new connection got a 200 from the public port, in ms. */
  servingAfterMs: number | null;
  /** From the SIGKILL until the last failed request ended, in ms (null: none failed). */
  lastFailureAfterMs: number | null;
}

export function homeOf(project: TestProject): string {
  return join(project.dir, '.slipway', 'agent');
}

export function pidIn(project: TestProject, file: 'agent.pid' | 'router.pid' | 'keeper.pid'): number {
  return Number(readFileSync(join(homeOf(project), file), 'utf8').trim());
}

/** SIGKILLs the agent (or the router process) while `concurrency` clients keep sending requests. */
export async function killUnderLoad(
  project: TestProject,
  which: 'agent' | 'router',
  options: { concurrency?: number } = {},
): Promise<FaultFigures> {
  const load = startLoad(project.url, {
    concurrency: options.concurrency ?? 4,
    maxMs: 30_000,
    timeoutMs: 5_000,
  });
  await load.warm(200);
  const pid = pidIn(project, which === 'agent' ? 'agent.pid' : 'router.pid');
  const socket = join(homeOf(project), which === 'agent' ? 'agent.sock' : 'router.sock');
  const killedAt = performance.now();
  process.kill(pid, 'SIGKILL');
  const [back, serving] = await Promise.all([
    waitUntil(() => answersPing(socket, pid), 10_000),
    waitUntil(() => servesOnNewConnection(project.url), 10_000),
  ]);
  await new Promise((resolve) => setTimeout(resolve, AFTER_FAULT_MS));
  const report = await load.stop();
  const lastFailure = report.failedAtMs.length === 0 ? null : Math.max(...report.failedAtMs);
  return {
    load: report,
    backAfterMs: back === null ? null : back - killedAt,
    servingAfterMs: serving === null ? null : serving - killedAt,
    lastFailureAfterMs: lastFailure === null ? null : lastFailure - killedAt,
  };
}

/** Polls `probe` every few ms; resolves with performance.now() when it first held, or null after `timeoutMs`. */
async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await probe().catch(() => false)) return performance.now();
    await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
  }
  return null;
}

/** A ping on the unix socket answered by a process other than `oldPid`. */
function answersPing(socketPath: string, oldPid: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, method: 'ping', params: {} })}\n`));
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      const line = JSON.parse(text.slice(0, text.indexOf('\n'))) as { result?: { pid?: number } };
      done(typeof line.result?.pid === 'number' && line.result.pid !== oldPid);
    });
  });
}

async function servesOnNewConnection(url: string): Promise<boolean> {
  const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(500), headers: { connection: 'close' } });
  await res.text();
  return res.status === 200;
}
