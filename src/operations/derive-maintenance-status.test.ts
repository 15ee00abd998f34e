import { describe, expect, it } from 'vitest';
import type { RouteStatus } from '../agent/protocol.js';
import { deriveMaintenanceStatus } from './derive-maintenance-status.js';

const route = (maintenance: RouteStatus['maintenance']): RouteStatus => ({
  app: 'shop',
  publicPort: 8080,
  bindAddress: '0.0.0.0',
  active: 'shop-1',
  draining: [],
  split: null,
  pool: null,
  ...(maintenance === undefined ? {} : { maintenance }),
});
const spec = (sinceMs: number) => ({
  message: `at ${sinceMs}`,
  retryAfterS: 60,
  healthPath: '/up',
  sinceMs,
  by: 'ops',
  bypass: true,
});

describe('deriveMaintenanceStatus', () => {
  it.each([
    ['none on', [route(undefined), route(null)], 'off', [], null],
    ['all on', [route(spec(1)), route(spec(2))], 'on', ['a', 'b'], 'at 2'],
    ['some on', [route(spec(5)), route(undefined)], 'partly', ['a'], 'at 5'],
    ['a host without the route', [route(spec(1)), null], 'partly', ['a'], 'at 1'],
  ] as const)('%s', (_, routes, state, on, message) => {
    const view = deriveMaintenanceStatus(routes.map((r, i) => ({ host: 'ab'[i]!, route: r })));
    expect(view.state).toBe(state);
    expect(view.on).toEqual(on);
    expect(view.current?.message ?? null).toBe(message);
  });

  it('keeps hosts that could not be read apart', () => {
    const view = deriveMaintenanceStatus([
      { host: 'a', route: route(spec(1)) },
      { host: 'b', route: undefined },
    ]);
    expect(view).toMatchObject({ state: 'on', on: ['a'], off: [], unknown: ['b'] });
  });
});
