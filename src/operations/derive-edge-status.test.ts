import { describe, expect, it } from 'vitest';
import type { PoolMemberStatus, RouteStatus } from '../agent/protocol.js';
import { deriveEdgeStatus, type EdgeStatusInput } from './derive-edge-status.js';

const member = (id: string, over: Partial<PoolMemberStatus> = {}): PoolMemberStatus => ({
  id,
  address: `10.0.0.${id.slice(-1)}`,
  port: 8420,
  enabled: true,
  healthy: true,
  health: 'healthy',
  inRotation: true,
  inFlight: 0,
  ejected: null,
  disabledSinceMs: null,
  answerTimeoutMs: 1_000,
  ...over,
});

const route = (pool: PoolMemberStatus[] | null): RouteStatus => ({
  app: 'edge:hello',
  publicPort: 80,
  bindAddress: '0.0.0.0',
  active: null,
  draining: [],
  split: null,
  pool,
});

const input = (over: Partial<EdgeStatusInput>): EdgeStatusInput => ({
  host: 'local',
  bindAddress: '0.0.0.0',
  publicPort: 80,
  route: route([]),
  error: null,
  healthyThreshold: 2,
  lastDeployment: { id: 'd-1', phase: 'succeeded' },
  ...over,
});

describe('deriveEdgeStatus', () => {
  it('lists each member with its state, since when and why', () => {
    const status = deriveEdgeStatus(
      input({
        route: route([
          member('web1', { inFlight: 3 }),
          member('web2', {
            health: 'unhealthy',
            healthy: false,
            inRotation: false,
            ejected: {
              cause: 'timeouts',
              sinceMs: 5_000,
              detail: '3 requests in a row got nothing (last: no answer within 1s)',
            },
          }),
          member('web3', {
            health: 'unhealthy',
            healthy: false,
            inRotation: false,
            ejected: { cause: 'failed-checks', sinceMs: 7_000, detail: 'GET /healthz answered 503' },
          }),
          member('web4', { enabled: false, inRotation: false, disabledSinceMs: 9_000 }),
        ]),
      }),
    );
    expect(status.inRotation).toBe(1);
    expect(status.members.map((m) => [m.id, m.state, m.sinceMs, m.cause, m.inFlight])).toEqual([
      ['web1', 'in-rotation', null, null, 3],
      ['web2', 'ejected', 5_000, 'timeouts', 0],
      ['web3', 'ejected', 7_000, 'failed-checks', 0],
      ['web4', 'disabled', 9_000, 'disabled', 0],
    ]);
    expect(status.members.map((m) => m.why)).toEqual([
      null,
      'timeouts: 3 requests in a row got nothing (last: no answer within 1s); back by itself after 2 passing checks',
      'failed health checks: GET /healthz answered 503; back by itself after 2 passing checks',
      'taken out of the edge by a deploy or setup that did not put it back; the last deployment, d-1, ended succeeded; a rolling deploy of this environment (or "deploy --resume" of a stopped one) puts it back',
    ]);
  });

  it('names the running deployment that took a member out', () => {
    const status = deriveEdgeStatus(
      input({
        route: route([member('web1', { enabled: false, inRotation: false, disabledSinceMs: 1 })]),
        lastDeployment: { id: 'd-7', phase: 'running' },
      }),
    );
    expect(status.members[0]?.why).toBe('taken out of the edge by the running deployment d-7');
  });

  it('reads an older agent that says only health and rotation', () => {
    const old = member('web1', { health: 'unhealthy', healthy: false, inRotation: false });
    delete old.ejected;
    delete old.disabledSinceMs;
    delete old.answerTimeoutMs;
    const [m] = deriveEdgeStatus(input({ route: route([old]), healthyThreshold: 1 })).members;
    expect(m).toMatchObject({
      state: 'ejected',
      sinceMs: null,
      cause: 'failed-checks',
      why: 'failed health checks; back by itself after 1 passing check',
      answerTimeoutMs: null,
    });
  });

  it('says so when the edge host cannot be asked or has no edge yet', () => {
    expect(deriveEdgeStatus(input({ error: 'unreachable: timed out' }))).toMatchObject({
      error: 'unreachable: timed out',
      members: [],
    });
    expect(deriveEdgeStatus(input({ route: null })).error).toBe(
      'no edge on this host yet: the next deploy sets it up',
    );
  });
});
