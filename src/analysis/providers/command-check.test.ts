import { describe, expect, it } from 'vitest';
import { isProcessAlive, sleep } from '../../agent/process-util.js';
import type { CheckSpecOf, CheckVars } from '../check-result.js';
import { runCommandCheck } from './command-check.js';

const vars: CheckVars = { release: 'v2', stable: 'v1', canaryUrl: 'http://127.0.0.1:4123' };

function spec(run: string, timeout = '10s'): CheckSpecOf<'command'> {
  return { kind: 'command', name: 'script', run, timeout };
}

/** Waits until a killed process is gone (reaping can lag a little behind the kill). */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isProcessAlive(pid); i++) await sleep(20);
  return !isProcessAlive(pid);
}

describe('runCommandCheck', () => {
  it('passes on exit 0, with the end of the output', async () => {
    expect(await runCommandCheck(spec('echo checking; echo all good'), vars)).toEqual({
      name: 'script',
      status: 'pass',
      detail: 'exit 0: checking | all good',
      value: 0,
    });
  });

  it('is inconclusive on exit 2', async () => {
    expect(await runCommandCheck(spec('echo "not enough data" >&2; exit 2'), vars)).toEqual({
      name: 'script',
      status: 'inconclusive',
      detail: 'exit 2: not enough data',
      value: 2,
    });
  });

  it('fails on any other exit code and keeps the last lines of stdout and stderr', async () => {
    const result = await runCommandCheck(
      spec('for i in 1 2 3 4 5 6; do echo "line $i"; done; echo "boom" >&2; exit 3'),
      vars,
    );
    expect(result).toEqual({
      name: 'script',
      status: 'fail',
      detail: 'exit 3: line 3 | line 4 | line 5 | line 6 | boom',
      value: 3,
    });
  });

  it('gives the command CANARY_URL and the versions', async () => {
    const result = await runCommandCheck(spec('echo "$CANARY_URL $CANARY_RELEASE $STABLE_RELEASE"'), vars);
    expect(result.detail).toBe('exit 0: http://127.0.0.1:4123 v2 v1');
  });

  it('fails a command killed by a signal', async () => {
    expect(await runCommandCheck(spec('kill -TERM $$'), vars)).toEqual({
      name: 'script',
      status: 'fail',
      detail: 'killed by SIGTERM',
    });
  });

  it('fails and kills the whole command when it runs past the timeout', async () => {
    const result = await runCommandCheck(spec('sleep 30 & echo "$!"; wait', '1s'), vars);
    expect(result.status).toBe('fail');
    expect(result.detail).toMatch(/^`sleep 30 & echo "\$!"; wait` did not finish within 1s: \d+$/);
    const sleeper = Number(result.detail.split(': ').at(-1));
    expect(await gone(sleeper)).toBe(true);
  });

  it('does not wait for processes the command leaves behind, and kills them', async () => {
    const result = await runCommandCheck(spec('sleep 30 & echo "$!"'), vars);
    expect(result.status).toBe('pass');
    const leftover = Number(result.detail.split(': ').at(-1));
    expect(await gone(leftover)).toBe(true);
  });

  it('is inconclusive when the timeout is not a duration', async () => {
    expect(await runCommandCheck(spec('true', 'soon'), vars)).toEqual({
      name: 'script',
      status: 'inconclusive',
      detail: 'timeout is not a duration: soon',
    });
  });
});
