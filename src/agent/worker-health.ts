import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import { redact } from '../core/secret.js';
import type { RuntimeSet } from '../runtime/runtime-set.js';
import type { TargetRecord } from '../runtime/target-record.js';
import { targetSecretValues } from '../runtime/target-secrets.js';
import { signalGroup, sleep } from './process-util.js';
import type { WaitWorkerMethod, WorkerCheckSpec } from './worker-protocol.js';

const POLL_MS = 100;
const CHECK_RETRY_MS = 500;
const OUTPUT_TAIL_CHARS = 2000;

type Outcome = WaitWorkerMethod['result'];

/**
 * A worker is healthy when it stays up for the settle time (no exit, no restart) and then its check command, if
 * any, exits 0 within its timeout while it keeps running. Its health is set either way: a healthy worker is one a
 * later deployment of the same release leaves alone.
 */
export async function waitWorkerHealthy(
  runtimes: RuntimeSet,
  target: TargetRecord,
  check: WorkerCheckSpec,
  clock: Clock,
): Promise<Outcome> {
  const started = clock.nowMs();
  const outcome = await judgeWorker(runtimes, target, check, clock);
  target.health = outcome.healthy ? 'healthy' : 'unhealthy';
  return { ...outcome, tookMs: clock.nowMs() - started };
}

async function judgeWorker(
  runtimes: RuntimeSet,
  target: TargetRecord,
  check: WorkerCheckSpec,
  clock: Clock,
): Promise<Omit<Outcome, 'tookMs'>> {
  const restarts = target.restarts;
  const settledAt = clock.nowMs() + check.settleMs;
  for (;;) {
    const down = await whyDown(runtimes, target, restarts);
    if (down) return { healthy: false, reason: down };
    const left = settledAt - clock.nowMs();
    if (left <= 0) break;
    await sleep(Math.min(POLL_MS, left));
  }
  if (check.command === undefined) return { healthy: true };
  const deadline = clock.nowMs() + (check.timeoutMs ?? 0);
  let last = '';
  for (;;) {
    const run = await runCheck(target, check.command, Math.max(1, deadline - clock.nowMs()));
    const down = await whyDown(runtimes, target, restarts);
    if (down) return { healthy: false, reason: down };
    if (run.code === 0) return { healthy: true };
    last = run.output;
    if (clock.nowMs() + CHECK_RETRY_MS >= deadline) break;
    await sleep(CHECK_RETRY_MS);
  }
  const tail = last.trim() ? `\n--- last output of the check ---\n${last.trim()}` : '';
  return { healthy: false, reason: `its check command did not pass within its timeout${tail}` };
}

/** Why the worker is not up as it was when the wait began (it exited or restarted since); null while it is. */
async function whyDown(runtimes: RuntimeSet, target: TargetRecord, restarts: number): Promise<string | null> {
  const id = target.spec.id;
  const alive = runtimes.owner(id).isAlive(id);
  if (alive.alive && target.restarts === restarts) return null;
  const how = alive.alive
    ? `it exited and was restarted (${target.restarts - restarts} times)`
    : alive.reason;
  const tail = await runtimes.owner(id).stderrTail(id);
  return tail ? `${how ?? 'not running'}\n--- last lines of stderr ---\n${tail}` : (how ?? 'not running');
}

/** Runs the check once in the worker's release directory with its environment; its output is redacted. */
function runCheck(
  target: TargetRecord,
  command: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const { spec } = target;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: target.releaseDir,
      env: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
        HOME: process.env.HOME ?? '/',
        ...spec.env,
        ...spec.secretEnv,
        SLIPWAY_APP: spec.app,
        SLIPWAY_RELEASE: spec.release,
        SLIPWAY_TARGET: spec.id,
        ...(spec.process ? { SLIPWAY_PROCESS: spec.process.name } : {}),
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    }, timeoutMs);
    const done = (code: number | null): void => {
      clearTimeout(timer);
      resolve({ code, output: redact(output, targetSecretValues(target)) });
    };
    child.once('error', (error) => {
      output += error.message;
      done(null);
    });
    child.once('close', (code) => done(code));
  });
}
