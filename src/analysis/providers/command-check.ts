import { spawn } from 'node:child_process';
import { formatDurationMs, parseDurationMs } from '../../core/duration.js';
import type { CheckResult, CheckSpecOf, CheckVars } from '../check-result.js';
import { describeError } from './describe-error.js';

/** Lines of output a check's detail keeps (the end, where a failing script says why). */
export const COMMAND_OUTPUT_TAIL_LINES = 5;
const TAIL_BUFFER_CHARS = 8192;
const TAIL_LINE_CHARS = 300;
/** After the shell exits, how long its output may take to drain (a leftover child may hold the pipe open). */
const DRAIN_GRACE_MS = 1000;

/**
 * Runs the check's command through `sh -c` with CANARY_URL, CANARY_RELEASE and STABLE_RELEASE set. Exit 0
 * passes, exit 2 is inconclusive, anything else fails; so does running past the timeout (the command's whole
 * process group is killed). The detail ends with the last lines of its output (stdout and stderr as they
 * came). Processes the command leaves behind are killed when it exits. Never throws.
 */
export function runCommandCheck(spec: CheckSpecOf<'command'>, vars: CheckVars): Promise<CheckResult> {
  const timeoutMs = parseDurationMs(spec.timeout);
  if (timeoutMs === undefined) {
    return Promise.resolve({
      name: spec.name,
      status: 'inconclusive',
      detail: `timeout is not a duration: ${spec.timeout}`,
    });
  }
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let drainTimer: NodeJS.Timeout | undefined;

    const child = spawn('sh', ['-c', spec.run], {
      env: {
        ...process.env,
        CANARY_URL: vars.canaryUrl,
        CANARY_RELEASE: vars.release,
        STABLE_RELEASE: vars.stable ?? '',
      },
      // Its own process group, so that a timeout kills what the command started too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: string): void => {
      output = (output + chunk).slice(-TAIL_BUFFER_CHARS);
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, timeoutMs);

    const finish = (status: CheckResult['status'], summary: string, value?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drainTimer);
      child.stdout.destroy();
      child.stderr.destroy();
      const tail = tailOf(output);
      resolve({
        name: spec.name,
        status,
        detail: tail ? `${summary}: ${tail}` : summary,
        ...(value === undefined ? {} : { value }),
      });
    };
    const finishFromExit = (): void => {
      if (timedOut) {
        finish('fail', `\`${spec.run}\` did not finish within ${formatDurationMs(timeoutMs)}`);
      } else if (exit?.code === 0) {
        finish('pass', 'exit 0', 0);
      } else if (exit?.code === 2) {
        finish('inconclusive', 'exit 2', 2);
      } else if (exit?.code !== null && exit?.code !== undefined) {
        finish('fail', `exit ${exit.code}`, exit.code);
      } else {
        finish('fail', `killed by ${exit?.signal ?? 'a signal'}`);
      }
    };

    child.once('error', (err) => finish('fail', `could not run sh: ${describeError(err)}`));
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      killGroup(child.pid);
      drainTimer = setTimeout(finishFromExit, DRAIN_GRACE_MS);
    });
    child.once('close', finishFromExit);
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

function tailOf(output: string): string {
  return output
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.length > 0)
    .slice(-COMMAND_OUTPUT_TAIL_LINES)
    .map((line) => (line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line))
    .join(' | ');
}
