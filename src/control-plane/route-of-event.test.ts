import { describe, expect, it } from 'vitest';
import { routeOfEvent } from './agent-events.js';

// An agent event names its route by key; the ledger wants the app and, when the key says it, the environment.
describe('routeOfEvent', () => {
  it.each([
    ['shop', { app: 'shop', environment: null }],
    ['edge:shop', { app: 'shop', environment: null }],
    ['shop@production', { app: 'shop', environment: 'production' }],
    ['edge:shop@staging', { app: 'shop', environment: 'staging' }],
    ['', { app: '', environment: null }],
    ['shop@', { app: 'shop', environment: null }],
  ])('%s', (key, expected) => {
    expect(routeOfEvent(key)).toEqual(expected);
  });
});
