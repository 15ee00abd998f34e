import { describe, expect, it } from 'vitest';
import { hrefOf, parseRoute, type Route } from './route.js';

describe('parseRoute', () => {
  it.each<[string, Route]>([
    ['', { kind: 'environments' }],
    ['#/', { kind: 'environments' }],
    ['#/login', { kind: 'login' }],
    ['#/environments', { kind: 'environments' }],
    ['#/environments/production/canary', { kind: 'canary', environment: 'production' }],
    ['#/deployments', { kind: 'deployments', environment: null }],
    ['#/deployments?environment=staging', { kind: 'deployments', environment: 'staging' }],
    ['#/deployments/d-20261126-abc', { kind: 'deployment', id: 'd-20261126-abc' }],
    ['#/releases?q=1.2', { kind: 'releases', q: '1.2' }],
    ['#/releases', { kind: 'releases', q: '' }],
    [
      '#/ledger?q=bob&environment=production&kind=approval.granted',
      { kind: 'ledger', q: 'bob', environment: 'production', kind_: 'approval.granted' },
    ],
    ['#/ledger', { kind: 'ledger', q: '', environment: null, kind_: null }],
    ['#/nowhere/at/all', { kind: 'not-found', hash: '/nowhere/at/all' }],
    ['#/deployments/a/b', { kind: 'not-found', hash: '/deployments/a/b' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('decodes path segments and survives a malformed escape', () => {
    expect(parseRoute('#/deployments/a%20b')).toEqual({ kind: 'deployment', id: 'a b' });
    expect(parseRoute('#/deployments/%E0%A4%A')).toEqual({ kind: 'deployment', id: '%E0%A4%A' });
  });
});

describe('hrefOf', () => {
  it.each<Route>([
    { kind: 'login' },
    { kind: 'environments' },
    { kind: 'deployments', environment: null },
    { kind: 'deployments', environment: 'pre prod' },
    { kind: 'deployment', id: 'd/1?x' },
    { kind: 'canary', environment: 'production' },
    { kind: 'releases', q: 'v1 & v2' },
    { kind: 'ledger', q: '', environment: 'staging', kind_: 'deploy.failed' },
  ])('round-trips %j', (route) => {
    expect(parseRoute(hrefOf(route))).toEqual(route);
  });

  it('leaves empty filters out of the hash', () => {
    expect(hrefOf({ kind: 'ledger', q: '', environment: null, kind_: null })).toBe('#/ledger');
  });
});
