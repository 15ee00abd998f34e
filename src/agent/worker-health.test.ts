import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../core/errors.js';
import {
  reapTarget,
  releaseArtifact,
  startAgent,
  startRouterProcess,
  targetSpec,
  tempHome,
} from './agent-test-kit.js';
import type { TargetSpec } from './protocol.js';

// Worker processes through the agent's socket: real processes, no port, checked by staying up and by a command.

const worker = (id: string, command: string, instance = 1): TargetSpec => ({
  ...targetSpec(id, '1.0.0', command),
  process: { name: 'worker', instance },
  restart: { initialBackoffMs: 100, maxBackoffMs: 100 },
});

async function agentWithRelease() {
  const home = await tempHome();
  await startRouterProcess(home);
  const running = await startAgent(home);
  await running.client.call('installRelease', { app: 'web', ...(await releaseArtifact(home, '1.0.0')) });
  return { home, ...running };
}

describe('worker targets', () => {
  it('run without a port, are healthy once they stayed up, and are never routed', async () => {
    const { client } = await agentWithRelease();
    const started = await client.call(
      'startTarget',
      worker(
        'web-1.0.0-a-worker.2',
        'echo "port=${PORT:-none} $SLIPWAY_PROCESS.$SLIPWAY_INSTANCE"; exec sleep 60',
        2,
      ),
    );
    reapTarget(started.pid);
    expect(started).toMatchObject({ port: 0, process: { name: 'worker', instance: 2 } });
    const outcome = await client.call('waitWorker', { id: 'web-1.0.0-a-worker.2', check: { settleMs: 300 } });
    expect(outcome).toMatchObject({ healthy: true });
    expect(outcome.tookMs).toBeGreaterThanOrEqual(300);
    // Checked once and running since: the way back takes it as it is, however long its settle time.
    const again = await client.call('waitWorker', {
      id: 'web-1.0.0-a-worker.2',
      check: { settleMs: 60_000 },
      acceptHealthy: true,
    });
    expect(again).toEqual({ healthy: true, tookMs: 0 });
    const { targets } = await client.call('state', {});
    expect(targets).toMatchObject([{ id: 'web-1.0.0-a-worker.2', health: 'healthy', state: 'running' }]);

    const lines: Array<{ line: string; process?: unknown }> = [];
    await client.stream('logs', { app: 'web', lines: 5, follow: false, process: 'worker' }, (e) =>
      lines.push(e),
    );
    expect(lines).toEqual([
      expect.objectContaining({ line: 'port=none worker.2', process: { name: 'worker', instance: 2 } }),
    ]);
    const web: unknown[] = [];
    await client.stream('logs', { app: 'web', lines: 5, follow: false, process: 'web' }, (e) => web.push(e));
    expect(web).toEqual([]);

    const refused = await client
      .call('switchRoute', { app: 'web', targetId: 'web-1.0.0-a-worker.2', drainTimeoutMs: 0 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AgentError);
    expect((refused as AgentError).message).toMatch(/is a worker process \(worker\): it gets no traffic/);
  });

  it('is unhealthy when it exits during its settle time, with its stderr', async () => {
    const { client } = await agentWithRelease();
    const started = await client.call(
      'startTarget',
      worker('web-1.0.0-b-worker.1', 'sleep 0.2; echo "no queue" >&2; exit 3'),
    );
    reapTarget(started.pid);
    // Never checked: acceptHealthy does not spare it the wait.
    const outcome = await client.call('waitWorker', {
      id: 'web-1.0.0-b-worker.1',
      check: { settleMs: 2_000 },
      acceptHealthy: true,
    });
    expect(outcome.healthy).toBe(false);
    expect(outcome.reason).toMatch(/exited with code 3|exited and was restarted/);
    expect(outcome.reason).toContain('no queue');
    expect(outcome.tookMs).toBeLessThan(2_000);
  });

  it('passes its check command once it exits 0, and fails one that never does', async () => {
    const { client, home } = await agentWithRelease();
    const flag = join(home, 'ready');
    const started = await client.call(
      'startTarget',
      worker('web-1.0.0-c-worker.1', `sleep 0.5; touch ${flag}; exec sleep 60`),
    );
    reapTarget(started.pid);
    const ready = await client.call('waitWorker', {
      id: 'web-1.0.0-c-worker.1',
      check: { settleMs: 0, command: `test -e ${flag} && pwd`, timeoutMs: 10_000 },
    });
    expect(ready).toMatchObject({ healthy: true });
    expect(ready.tookMs).toBeGreaterThanOrEqual(400);

    const never = await client.call('waitWorker', {
      id: 'web-1.0.0-c-worker.1',
      check: { settleMs: 0, command: 'echo "queue not reachable from $PWD"; exit 1', timeoutMs: 1_200 },
    });
    expect(never.healthy).toBe(false);
    expect(never.reason).toMatch(
      /did not pass within its timeout[\s\S]*queue not reachable from \/.*\/releases\/web\/1\.0\.0/,
    );
  });
});
