import { describe, expect, it } from 'vitest';
import type { CheckSpec } from '../analysis/check-result.js';
import {
  deriveCanaryEndpoint,
  deriveUnreachableCheck,
  selectCanaryEndpoint,
  type CanaryEndpoint,
} from './canary-endpoints.js';
import { deriveCanaryEndpoints } from './create-canary-controller.js';
import type { SlipwayConfig } from '../config/schema.js';
import type { Plan } from '../plan/steps.js';

describe('deriveCanaryEndpoint', () => {
  it.each([
    // this machine: loopback reaches a router on any or a loopback address; a specific address is used as is
    { address: null, bind: '127.0.0.1', url: 'http://127.0.0.1:8420' },
    { address: null, bind: '0.0.0.0', url: 'http://127.0.0.1:8420' },
    { address: null, bind: '::', url: 'http://127.0.0.1:8420' },
    { address: null, bind: '192.168.5.4', url: 'http://192.168.5.4:8420' },
    // a remote host: its address when the router listens everywhere, else the address it listens on
    { address: '10.0.0.11', bind: '0.0.0.0', url: 'http://10.0.0.11:8420' },
    { address: 'web1.internal', bind: '::', url: 'http://web1.internal:8420' },
    { address: '203.0.113.7', bind: '10.1.0.7', url: 'http://10.1.0.7:8420' },
    { address: 'web1', bind: 'fd00::7', url: 'http://[fd00::7]:8420' },
  ])('router on $bind at $address → $url', ({ address, bind, url }) => {
    expect(deriveCanaryEndpoint({ host: 'web1', address, bindAddress: bind, publicPort: 8420 })).toEqual({
      kind: 'reachable',
      host: 'web1',
      baseUrl: url,
    });
  });

  it.each(['127.0.0.1', '127.0.1.1', 'localhost', '::1'])(
    'a remote router on %s cannot be reached from the control plane, and says why',
    (bind) => {
      const endpoint = deriveCanaryEndpoint({
        host: 'web2',
        address: '10.0.0.12',
        bindAddress: bind,
        publicPort: 8420,
      });
      expect(endpoint.kind).toBe('unreachable');
      expect(endpoint.kind === 'unreachable' && endpoint.reason).toBe(
        `the router of web2 listens on ${bind} only, which the control plane cannot reach; set the environment's bindAddress to an address reachable from the control plane (e.g. 0.0.0.0)`,
      );
    },
  );
});

describe('selectCanaryEndpoint', () => {
  const a: CanaryEndpoint = { kind: 'reachable', host: 'a', baseUrl: 'http://a:1' };
  const b: CanaryEndpoint = { kind: 'reachable', host: 'b', baseUrl: 'http://b:1' };
  const x: CanaryEndpoint = { kind: 'unreachable', host: 'x', reason: 'loopback' };

  it('goes round robin over the reachable routers, skipping unreachable ones', () => {
    expect([0, 1, 2, 3].map((n) => selectCanaryEndpoint([a, x, b], n)?.host)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('answers an unreachable one (with its reason) when nothing is reachable, null when there is nothing', () => {
    expect(selectCanaryEndpoint([x], 5)).toBe(x);
    expect(selectCanaryEndpoint([], 0)).toBeNull();
  });
});

describe('deriveUnreachableCheck', () => {
  const x: CanaryEndpoint = {
    kind: 'unreachable',
    host: 'x',
    reason: 'the router of x listens on 127.0.0.1 only',
  };
  const http = { kind: 'http', name: 'ping', url: 'http://{{canary}}/', expectStatus: 200, timeout: '2s' };
  const prom = { kind: 'prometheus', name: 'p', url: 'http://prom:9090', query: 'up' };

  it('makes HTTP and command checks inconclusive with the reason; Prometheus does not need the canary', () => {
    expect(deriveUnreachableCheck(http as CheckSpec, x)).toEqual({
      name: 'ping',
      status: 'inconclusive',
      detail: 'cannot reach the canary: the router of x listens on 127.0.0.1 only',
    });
    expect(deriveUnreachableCheck(prom as CheckSpec, x)).toBeNull();
    expect(
      deriveUnreachableCheck(http as CheckSpec, { kind: 'reachable', host: 'a', baseUrl: 'http://a:1' }),
    ).toBeNull();
  });
});

describe('deriveCanaryEndpoints', () => {
  it("takes each canary host's address from the config and its router's address from the plan", () => {
    const config = {
      environments: {
        production: {
          bindAddress: '0.0.0.0',
          hosts: ['local', { name: 'web1', address: '10.0.0.11' }, { name: 'web2', address: '10.0.0.12' }],
        },
      },
    } as unknown as SlipwayConfig;
    const plan = {
      environment: 'production',
      stages: [
        {
          name: 'prepare',
          steps: [{ kind: 'ensure-route', host: 'web2', bindAddress: '127.0.0.1' }],
        },
      ],
      canary: { hosts: ['local', 'web1', 'web2'], publicPort: 8420 },
    } as unknown as Plan;
    expect(deriveCanaryEndpoints(config, plan)).toEqual([
      { kind: 'reachable', host: 'local', baseUrl: 'http://127.0.0.1:8420' },
      { kind: 'reachable', host: 'web1', baseUrl: 'http://10.0.0.11:8420' },
      {
        kind: 'unreachable',
        host: 'web2',
        reason: expect.stringContaining('the router of web2 listens on 127.0.0.1 only') as unknown,
      },
    ]);
  });
});
