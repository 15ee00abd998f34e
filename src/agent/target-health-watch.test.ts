import { describe, expect, it } from 'vitest';
import type { HealthCheckResult } from '../router/health-check.js';
import { signal, startBackend, useCleanup } from '../router/test-backends.js';
import type { HealthCheckSpec } from './protocol.js';
import { TargetHealthWatch, type HealthProbe, type TargetHealthChange } from './target-health-watch.js';

const cleanup = useCleanup();
const spec: HealthCheckSpec = {
  path: '/healthz',
  intervalMs: 20,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
};

/** A health endpoint whose answer the test flips, counting the checks it got per path. */
async function flippableTarget(statusOf: (path: string) => number) {
  const checks = new Map<string, number>();
  const backend = await startBackend((req, res) => {
    const path = req.url ?? '/';
    checks.set(path, (checks.get(path) ?? 0) + 1);
    res.statusCode = statusOf(path);
    res.end();
  });
  cleanup(backend.close);
  return { port: backend.port, checks: (path = spec.path) => checks.get(path) ?? 0 };
}

/** Collects changes; `next()` resolves at the next one. */
function recorder() {
  const changes: TargetHealthChange[] = [];
  let waiting: ((c: TargetHealthChange) => void) | null = null;
  return {
    changes,
    onChange: (c: TargetHealthChange): void => {
      changes.push(c);
      waiting?.(c);
      waiting = null;
    },
    next: () => new Promise<TargetHealthChange>((resolve) => (waiting = resolve)),
  };
}

/** Resolves once `condition` holds, looking every few milliseconds (outcomes, not timings, are asserted). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function startWatch(opts: ConstructorParameters<typeof TargetHealthWatch>[0]): TargetHealthWatch {
  const watch = new TargetHealthWatch(opts);
  cleanup(() => watch.stop());
  return watch;
}

describe('TargetHealthWatch', () => {
  it('reports a serving target unhealthy once after unhealthyThreshold failures, and healthy again after healthyThreshold passes', async () => {
    let status = 200;
    const target = await flippableTarget(() => status);
    const rec = recorder();
    const watch = startWatch({ onChange: rec.onChange });

    watch.watch('hello-2.0.0-a', { port: target.port, spec });
    await until(() => target.checks() >= 3);
    expect(rec.changes).toEqual([]); // passing checks of a healthy target say nothing

    let changed = rec.next();
    status = 503;
    expect(await changed).toEqual({
      id: 'hello-2.0.0-a',
      health: 'unhealthy',
      previous: 'healthy',
      reason: 'GET /healthz answered 503',
      consecutiveFailures: 3,
      consecutivePasses: 0,
    });
    expect(watch.health('hello-2.0.0-a')).toBe('unhealthy');
    const checksWhenUnhealthy = target.checks();
    await until(() => target.checks() >= checksWhenUnhealthy + 4);
    expect(rec.changes).toHaveLength(1); // once, not at every failed check

    changed = rec.next();
    status = 200;
    expect(await changed).toEqual({
      id: 'hello-2.0.0-a',
      health: 'healthy',
      previous: 'unhealthy',
      consecutiveFailures: 0,
      consecutivePasses: 2,
    });
    expect(watch.health('hello-2.0.0-a')).toBe('healthy');
  });

  it('checks each target with its own health check', async () => {
    const target = await flippableTarget((path) => (path === '/bad' ? 503 : 200));
    const rec = recorder();
    const watch = startWatch({ onChange: rec.onChange });

    const changed = rec.next();
    watch.watch('good', { port: target.port, spec: { ...spec, path: '/good' } });
    watch.watch('bad', { port: target.port, spec: { ...spec, path: '/bad', unhealthyThreshold: 5 } });
    const change = await changed;
    expect(change).toMatchObject({ id: 'bad', health: 'unhealthy', consecutiveFailures: 5 });
    expect(change.reason).toBe('GET /bad answered 503');
    await until(() => target.checks('/good') >= 6);
    expect(rec.changes.map((c) => c.id)).toEqual(['bad']);
  });

  it('reports a target whose health is not known yet either way', async () => {
    const target = await flippableTarget(() => 200);
    const rec = recorder();
    const watch = startWatch({ onChange: rec.onChange });
    const changed = rec.next();
    watch.watch('adopted', { port: target.port, spec, health: 'unknown' });
    expect(watch.health('adopted')).toBe('unknown');
    expect(await changed).toMatchObject({ id: 'adopted', health: 'healthy', previous: 'unknown' });
  });

  it('counts a probe that throws as a failed check, with its message', async () => {
    const rec = recorder();
    const failing: HealthProbe = () => Promise.reject(new Error('socket hang up'));
    const watch = startWatch({ onChange: rec.onChange, probe: failing });
    const changed = rec.next();
    watch.watch('t', { port: 1, spec });
    expect(await changed).toMatchObject({
      health: 'unhealthy',
      reason: 'socket hang up',
      consecutiveFailures: 3,
    });
  });

  it('keeps its count when the same target is watched again (a canary whose weight grows)', async () => {
    let probes = 0;
    let probesAtChange = 0;
    const firstProbe = signal();
    const probe: HealthProbe = () => {
      probes++;
      firstProbe.resolve();
      return Promise.resolve({ ok: false, error: 'answered 503' });
    };
    const changed = signal<TargetHealthChange>();
    const watch = startWatch({
      onChange: (c) => {
        probesAtChange = probes;
        changed.resolve(c);
      },
      probe,
    });
    watch.watch('canary', { port: 4000, spec });
    await firstProbe.promise;
    watch.watch('canary', { port: 4000, spec: { ...spec } });
    expect(await changed.promise).toMatchObject({ consecutiveFailures: 3 });
    expect(probesAtChange).toBe(3);
  });

  it('starts over when a target is watched on another port', async () => {
    let probes = 0;
    let probesAtChange = 0;
    const firstProbe = signal();
    const ports: number[] = [];
    const probe: HealthProbe = (port) => {
      probes++;
      ports.push(port);
      firstProbe.resolve();
      return Promise.resolve({ ok: false, error: 'answered 503' });
    };
    const changed = signal<TargetHealthChange>();
    const watch = startWatch({
      onChange: (c) => {
        probesAtChange = probes;
        changed.resolve(c);
      },
      probe,
    });
    watch.watch('t', { port: 4000, spec });
    await firstProbe.promise;
    watch.watch('t', { port: 4001, spec });
    expect(await changed.promise).toMatchObject({ consecutiveFailures: 3 });
    expect(probesAtChange).toBeGreaterThanOrEqual(4);
    expect(ports.slice(-3)).toEqual([4001, 4001, 4001]);
  });

  it('never runs two checks of one target at once, even when a check takes longer than the interval', async () => {
    let inFlight = 0;
    let most = 0;
    let probes = 0;
    const slow: HealthProbe = async () => {
      probes++;
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, spec.intervalMs * 3));
      inFlight--;
      return { ok: true };
    };
    const watch = startWatch({ onChange: () => undefined, probe: slow });
    watch.watch('slow', { port: 4000, spec });
    await until(() => probes >= 4);
    expect(most).toBe(1);
  });

  it('forgets an unwatched target: no more checks, and a check in progress reports nothing', async () => {
    const release = signal<HealthCheckResult>();
    const started = signal();
    let probes = 0;
    const probe: HealthProbe = () => {
      probes++;
      started.resolve();
      return release.promise;
    };
    const rec = recorder();
    const watch = startWatch({ onChange: rec.onChange, probe: probe });
    watch.watch('t', { port: 4000, spec: { ...spec, unhealthyThreshold: 1 } });
    await started.promise;
    watch.unwatch('t');
    release.resolve({ ok: false, error: 'answered 503' });
    await watch.stop(); // waits for the check in progress
    expect(rec.changes).toEqual([]);
    expect(probes).toBe(1);
    expect(watch.watching()).toEqual([]);
  });

  it('checks nothing once stopped, and watches nothing new', async () => {
    const target = await flippableTarget(() => 200);
    const watch = startWatch({ onChange: () => undefined });
    watch.watch('a', { port: target.port, spec });
    watch.watch('b', { port: target.port, spec: { ...spec, path: '/b' } });
    await until(() => target.checks() >= 1 && target.checks('/b') >= 1);
    await watch.stop();
    const atStop = target.checks() + target.checks('/b');
    // Several intervals' worth of event-loop turns: a leftover timer would have fired a check by now.
    await new Promise((resolve) => setTimeout(resolve, spec.intervalMs * 10));
    expect(target.checks() + target.checks('/b')).toBe(atStop);
    watch.watch('c', { port: target.port, spec });
    expect(watch.watching()).toEqual([]);
  });

  it('goes on watching when the callback throws (a journal on a full disk), handing the error over', async () => {
    let status = 503;
    const target = await flippableTarget(() => status);
    const errors: unknown[] = [];
    const rec = recorder();
    const watch = startWatch({
      onChange: (c) => {
        rec.onChange(c);
        if (c.health === 'unhealthy') throw new Error('ENOSPC: no space left on device');
      },
      onError: (err) => errors.push(err),
    });
    const recovered = until(() => rec.changes.some((c) => c.health === 'healthy'));
    watch.watch('t', { port: target.port, spec });
    await until(() => errors.length === 1);
    status = 200;
    await recovered;
    expect(String(errors[0])).toContain('ENOSPC');
    expect(rec.changes.map((c) => c.health)).toEqual(['unhealthy', 'healthy']);
  });
});
