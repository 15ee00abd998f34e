// Running the deploy tools of bench/fleet-bench.mjs: each command goes through the ProcessGroup (stopped by
// pid on Ctrl-C or timeout), its output is collected, and its wall-clock time is measured from spawn to exit.
import { execFileSync } from 'node:child_process';
import { sleep } from './processes.mjs';

/**
 * Runs a command to completion (bounded by `timeoutMs`: then it is stopped by pid and the call rejects).
 * @param {import('./processes.mjs').ProcessGroup} group
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number, marks?: Record<string, RegExp> }} [options]
 *   `marks`: for each name, when (ms after spawn) its pattern first showed in stdout.
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, ms: number,
 *   marks: Record<string, number> }>}
 */
export async function runCommand(group, name, command, args, options = {}) {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const started = performance.now();
  const proc = group.start(name, command, args, {
    env: options.env ?? process.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const marks = {};
  proc.child.stdout?.on('data', (d) => {
    stdout += d.toString();
    for (const [mark, pattern] of Object.entries(options.marks ?? {})) {
      if (!(mark in marks) && pattern.test(stdout)) marks[mark] = performance.now() - started;
    }
  });
  proc.child.stderr?.on('data', (d) => (stderr += d.toString()));
  const closed = new Promise((resolve) => proc.child.once('close', resolve));
  const outcome = await Promise.race([proc.exited, sleep(timeoutMs).then(() => 'timeout')]);
  const ms = performance.now() - started;
  if (outcome === 'timeout') {
    await group.stop(proc.pid, 5_000);
    throw new Error(`${name} did not finish within ${timeoutMs / 1000} s:\n${tail(stdout + stderr)}`);
  }
  // The exit comes before the last output: wait for the pipes to close (bounded).
  await Promise.race([closed, sleep(2_000)]);
  return { code: outcome, stdout, stderr, ms, marks };
}

/** Like runCommand, but a non-zero exit rejects with the output's tail. */
export async function runChecked(group, name, command, args, options = {}) {
  const result = await runCommand(group, name, command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `${name} failed (exit ${result.code}):\n${tail(`${result.stdout}\n${result.stderr}`, 3_000)}`,
    );
  }
  return result;
}

export function tail(text, chars = 1_500) {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

/** The path of a program on PATH, or null. */
export function which(program) {
  try {
    return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export function versionOf(command, args, pattern, env = process.env) {
  try {
    const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
    return pattern.exec(out)?.[1] ?? out.split('\n')[0]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** Every host answers GET / on `port` (on its loopback) with `version`. */
export async function verifyServing(hosts, port, version) {
  const wrong = [];
  await Promise.all(
    hosts.map(async (h) => {
      const r = await h.exec(['curl', '-s', '--max-time', '2', `http://127.0.0.1:${port}/`]);
      if (!r.stdout.includes(`hello ${version} `))
        wrong.push(`${h.name}: ${r.stdout.trim() || r.stderr.trim()}`);
    }),
  );
  if (wrong.length > 0)
    throw new Error(
      `after the deploy of ${version}, not every host serves it on :${port}: ${wrong.join('; ')}`,
    );
}
