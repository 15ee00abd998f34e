import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { waitUntilHealthy } from '../router/health-check.js';
import { deriveUnhealthyCause, describeUnhealthyHint, type UnhealthyCause } from './unhealthy-hint.js';

// The hint under "did not become healthy" fits the cause: a target that crashed at start is not helped by a
// longer healthCheck.startTimeout; one that was still not answering when its time ran out may be.

const WHERE = { host: 'local', path: '/healthz' };
const SPEC = { path: '/healthz', intervalMs: 20, timeoutMs: 50, healthyThreshold: 2, unhealthyThreshold: 3 };

/** A port nothing listens on (taken, then given back). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('the hint for a target that did not become healthy', () => {
  it('for one whose process ended (as the agent says it): the crash, not the start-up time', async () => {
    const outcome = await waitUntilHealthy({
      port: await closedPort(),
      spec: SPEC,
      timeoutMs: 5_000,
      probeAlive: () => ({ alive: false, reason: 'the target process exited with code 3' }),
    });
    const reason = `${outcome.reason ?? ''}\n--- last lines of stderr ---\nrefusing to start`;
    const hint = describeUnhealthyHint(deriveUnhealthyCause(reason), WHERE);
    expect(hint).toBe(
      'the app exited with code 3 as it started, so more time (healthCheck.startTimeout) would not help: its stderr above says why ("slipway logs" has more)',
    );
  });

  it('for one that was still not healthy when its time ran out: the check, the logs, or more time', async () => {
    const outcome = await waitUntilHealthy({
      port: await closedPort(),
      spec: SPEC,
      timeoutMs: 100,
      probeAlive: () => ({ alive: true }),
    });
    expect(deriveUnhealthyCause(outcome.reason)).toEqual({ kind: 'slow' });
    expect(describeUnhealthyHint(deriveUnhealthyCause(outcome.reason), WHERE)).toBe(
      'check that the app answers 2xx on /healthz at $PORT, see "slipway logs", or raise healthCheck.startTimeout',
    );
  });

  it.each<[string, string, UnhealthyCause, RegExp]>([
    [
      'a container that exited',
      'the container exited with code 1',
      { kind: 'ended', exitCode: 1, signal: null },
      /^the app exited with code 1 as it started, so more time/,
    ],
    [
      'a process killed by the kernel',
      'the target process was killed by SIGKILL',
      { kind: 'ended', exitCode: null, signal: 'SIGKILL' },
      /^the app was killed by SIGKILL \(out of memory\?\) as it started/,
    ],
    [
      'a command that is not there',
      'the target process exited with code 127',
      { kind: 'ended', exitCode: 127, signal: null },
      /^run\.command was not found on local \(exit 127/,
    ],
    [
      'a command that may not run',
      'the target process exited with code 126',
      { kind: 'ended', exitCode: 126, signal: null },
      /^run\.command is not executable on local \(exit 126\)/,
    ],
    [
      'a target the agent lost',
      'target hello-2.0.0-abc123 is not known to the agent',
      { kind: 'ended', exitCode: null, signal: null },
      /^the app ended as it started/,
    ],
  ])('for %s', (_name, reason, cause, hint) => {
    expect(deriveUnhealthyCause(reason)).toEqual(cause);
    const text = describeUnhealthyHint(cause, WHERE);
    expect(text).toMatch(hint);
    expect(text).not.toContain('raise healthCheck.startTimeout');
  });

  it('none for a wait that was cancelled (the deployment stopped it)', () => {
    expect(describeUnhealthyHint(deriveUnhealthyCause('cancelled'), WHERE)).toBeUndefined();
  });
});
