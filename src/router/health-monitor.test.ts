import type { HealthCheckSpec } from '../agent/protocol.js';
import { describe, expect, it } from 'vitest';
import { HealthMonitor, type HealthChange } from './health-monitor.js';
import { signal, startBackend, useCleanup } from './test-backends.js';

const cleanup = useCleanup();
const spec: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 5,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

describe('HealthMonitor', () => {
  it('reports healthy after healthyThreshold passes and unhealthy after unhealthyThreshold failures', async () => {
    let up = true;
    let checks = 0;
    const backend = await startBackend((_req, res) => {
      checks++;
      res.statusCode = up ? 200 : 500;
      res.end();
    });
    cleanup(backend.close);

    const changes: HealthChange[] = [];
    let wake = (): void => undefined;
    const nextChange = () => new Promise<void>((resolve) => (wake = resolve));
    const monitor = new HealthMonitor({
      spec,
      onChange: (c) => {
        changes.push(c);
        wake();
      },
    });
    cleanup(() => monitor.stop());

    let changed = nextChange();
    monitor.watch('app-v1', backend.port);
    expect(monitor.health('app-v1')).toBe('unknown');
    await changed;
    expect(changes).toEqual([{ key: 'app-v1', port: backend.port, health: 'healthy', previous: 'unknown' }]);
    const checksWhenHealthy = checks;

    changed = nextChange();
    up = false;
    await changed;
    expect(changes[1]).toEqual({
      key: 'app-v1',
      port: backend.port,
      health: 'unhealthy',
      previous: 'healthy',
      reason: 'GET /healthz answered 500',
    });
    expect(checks - checksWhenHealthy).toBeGreaterThanOrEqual(3);
    expect(monitor.health('app-v1')).toBe('unhealthy');
  });

  it('checks nothing more once stopped', async () => {
    let checks = 0;
    const firstCheck = signal();
    const backend = await startBackend((_req, res) => {
      checks++;
      firstCheck.resolve();
      res.end();
    });
    cleanup(backend.close);
    const monitor = new HealthMonitor({ spec, onChange: () => undefined });
    monitor.watch('a', backend.port);
    await firstCheck.promise;
    await monitor.stop();
    const atStop = checks;
    // Several intervals' worth of event-loop turns: a leftover timer would have fired a check by now.
    await new Promise((resolve) => setTimeout(resolve, spec.intervalMs * 10));
    expect(checks).toBe(atStop);
    expect(() => monitor.watch('b', backend.port)).toThrow(/stopped/);
  });

  it('turns a target unhealthy at once on a reported failure; passing checks bring it back', async () => {
    const backend = await startBackend((_req, res) => res.end());
    cleanup(backend.close);
    const changes: HealthChange[] = [];
    let wake = (): void => undefined;
    const monitor = new HealthMonitor({
      spec,
      onChange: (c) => {
        changes.push(c);
        wake();
      },
    });
    cleanup(() => monitor.stop());
    monitor.watch('host-a', backend.port, '127.0.0.1');
    monitor.reportFailure('host-a', 'connection refused');
    monitor.reportFailure('host-a', 'connection refused'); // already unhealthy: no second change
    monitor.reportFailure('unknown', 'ignored');
    expect(changes).toEqual([
      {
        key: 'host-a',
        port: backend.port,
        health: 'unhealthy',
        previous: 'unknown',
        reason: 'connection refused',
      },
    ]);
    await new Promise<void>((resolve) => (wake = resolve));
    expect(changes[1]).toEqual({
      key: 'host-a',
      port: backend.port,
      health: 'healthy',
      previous: 'unhealthy',
    });
  });
});
