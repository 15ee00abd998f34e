import { formatDurationMs, parseDurationMs } from '../../core/duration.js';
import type { CheckResult, CheckSpecOf, CheckVars } from '../check-result.js';
import { runCommand } from '../../core/run-command.js';

/** Lines of output a check's detail keeps (the end, where a failing script says why). */
export const COMMAND_OUTPUT_TAIL_LINES = 5;
const TAIL_BUFFER_CHARS = 8192;
const TAIL_LINE_CHARS = 300;

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
  let output = '';
  return runCommand({
    command: spec.run,
    env: {
      ...process.env,
      CANARY_URL: vars.canaryUrl,
      CANARY_RELEASE: vars.release,
      STABLE_RELEASE: vars.stable ?? '',
    },
    timeoutMs,
    onOutput: (chunk) => {
      output = (output + chunk).slice(-TAIL_BUFFER_CHARS);
    },
  }).then((run) => {
    const result = (status: CheckResult['status'], summary: string, value?: number): CheckResult => {
      const tail = tailOf(output);
      return {
        name: spec.name,
        status,
        detail: tail ? `${summary}: ${tail}` : summary,
        ...(value === undefined ? {} : { value }),
      };
    };
    switch (run.kind) {
      case 'timed-out':
        return result('fail', `\`${spec.run}\` did not finish within ${formatDurationMs(timeoutMs)}`);
      case 'exited':
        if (run.code === 0) return result('pass', 'exit 0', 0);
        if (run.code === 2) return result('inconclusive', 'exit 2', 2);
        return result('fail', `exit ${run.code}`, run.code);
      case 'killed':
        return result('fail', `killed by ${run.signal}`);
      case 'not-started':
        return result('fail', `could not run sh: ${run.message}`);
      case 'too-large':
        return result('fail', 'too much output'); // no limit is set: not reached
    }
  });
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
