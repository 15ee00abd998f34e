import { describe, expect, it } from 'vitest';
import { parseRouteKey } from './route-key.js';

// A route key names an app, and the environment when it has domains; an edge's key is the same behind `edge:`.
describe('parseRouteKey', () => {
  it.each([
    ['shop', { edge: false, app: 'shop', environment: null }],
    ['edge:shop', { edge: true, app: 'shop', environment: null }],
    ['shop@production', { edge: false, app: 'shop', environment: 'production' }],
    ['edge:shop@staging', { edge: true, app: 'shop', environment: 'staging' }],
    ['', { edge: false, app: '', environment: null }],
    ['shop@', { edge: false, app: 'shop', environment: null }],
  ])('%s', (key, expected) => {
    expect(parseRouteKey(key)).toEqual(expected);
  });
});
