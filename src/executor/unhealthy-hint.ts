/**
 * Why a new target did not become healthy, as far as the agent's answer tells: it ended (exited, was killed, is
 * gone), it was still not healthy when its start-up time ran out, or the wait was cancelled. The agent says it in
 * words (agents of every version do), so the words are read here; anything that is not a timeout or a
 * cancellation is a target that ended.
 */
export type UnhealthyCause =
  | { kind: 'ended'; exitCode: number | null; signal: string | null }
  | { kind: 'slow' }
  | { kind: 'cancelled' };

/** The agent's reason (its first line; stderr follows) → the cause. Pure. */
export function deriveUnhealthyCause(reason: string | undefined): UnhealthyCause {
  const first = (reason ?? '').split('\n', 1)[0] ?? '';
  if (first.startsWith('not healthy within ')) return { kind: 'slow' };
  if (first === 'cancelled') return { kind: 'cancelled' };
  const code = /exited with code (\d+)/.exec(first)?.[1];
  const signal = /killed by (SIG[A-Z0-9]+)/.exec(first)?.[1];
  return { kind: 'ended', exitCode: code === undefined ? null : Number(code), signal: signal ?? null };
}

/**
 * The hint under "did not become healthy", fitting the cause: a target that ended at start needs its error
 * fixed (a longer start-up time would only wait longer for a dead process); a slow one may need more time. Pure.
 */
export function describeUnhealthyHint(
  cause: UnhealthyCause,
  where: { host: string; path: string },
): string | undefined {
  switch (cause.kind) {
    case 'cancelled':
      return undefined;
    case 'slow':
      return `check that the app answers 2xx on ${where.path} at $PORT, see "slipway logs", or raise healthCheck.startTimeout`;
    case 'ended':
      return describeEndedHint(cause, where.host);
  }
}

const NOT_THE_START_TIMEOUT = 'more time (healthCheck.startTimeout) would not help';

function describeEndedHint(cause: Extract<UnhealthyCause, { kind: 'ended' }>, host: string): string {
  if (cause.exitCode === 127)
    return `run.command was not found on ${host} (exit 127: "command not found"): check the program's name and that it is installed there`;
  if (cause.exitCode === 126)
    return `run.command is not executable on ${host} (exit 126): check the file's mode, or run it through its interpreter`;
  const how =
    cause.signal !== null
      ? `was killed by ${cause.signal}${cause.signal === 'SIGKILL' ? ' (out of memory?)' : ''}`
      : cause.exitCode !== null
        ? `exited with code ${cause.exitCode}`
        : 'ended';
  return `the app ${how} as it started, so ${NOT_THE_START_TIMEOUT}: its stderr above says why ("slipway logs" has more)`;
}
