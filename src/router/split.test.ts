import { describe, expect, it } from 'vitest';
import {
  NO_ROUTE,
  deriveRouteWithActive,
  deriveRouteWithPool,
  deriveRouteWithSplit,
  parseBucket,
  parseOptInCookie,
  selectPoolMember,
  selectPoolMemberOtherThan,
  selectTarget,
  type RequestInfo,
} from './split.js';

function requestWith(headers: Record<string, string>): RequestInfo {
  return { header: (name) => headers[name] };
}

const withSplit = (weight: number) =>
  deriveRouteWithSplit(deriveRouteWithActive(NO_ROUTE, 'stable'), {
    canary: 'canary',
    weight,
    header: 'X-Slipway-Canary',
    cookie: 'slipway_canary',
  });

describe('selectTarget', () => {
  it('sends every request to the active target when there is no split', () => {
    const route = deriveRouteWithActive(NO_ROUTE, 'app-v2-abc123');
    expect(selectTarget(route, requestWith({})).target).toBe('app-v2-abc123');
    expect(
      selectTarget(route, requestWith({ cookie: 'slipway_canary=1', 'x-slipway-canary': 'always' })).target,
    ).toBe('app-v2-abc123');
  });

  it('selects nothing when no target is active', () => {
    expect(selectTarget(NO_ROUTE, requestWith({})).target).toBeNull();
  });

  it('derives a new route state on a switch, which ends any split', () => {
    const blue = deriveRouteWithActive(NO_ROUTE, 'blue');
    const split = deriveRouteWithSplit(blue, { canary: 'green', weight: 50, header: 'x', cookie: 'c' });
    const green = deriveRouteWithActive(split, 'green');
    expect(selectTarget(blue, requestWith({})).target).toBe('blue');
    expect(green.split).toBeNull();
    expect(split.split?.weight).toBe(50);
  });

  it.each([
    { weight: 5, bucket: 4, target: 'canary' },
    { weight: 5, bucket: 5, target: 'stable' },
    { weight: 50, bucket: 49, target: 'canary' },
    { weight: 100, bucket: 99, target: 'canary' },
    { weight: 1, bucket: 0, target: 'canary' },
  ])('weight $weight, cookie bucket $bucket → $target', ({ weight, bucket, target }) => {
    const result = selectTarget(
      withSplit(weight),
      requestWith({ cookie: `a=b; slipway_canary=${bucket}` }),
      () => {
        throw new Error('a user with a bucket is never drawn again');
      },
    );
    expect(result).toEqual({ target, newBucket: null });
  });

  it('keeps a user on the canary as the weight grows (sticky)', () => {
    const cookie = { cookie: 'slipway_canary=3' };
    const targets = [5, 10, 25, 50, 100].map((w) => selectTarget(withSplit(w), requestWith(cookie)).target);
    expect(targets).toEqual(['canary', 'canary', 'canary', 'canary', 'canary']);
  });

  it('draws a bucket for a new user and says so, so the router can set the cookie', () => {
    expect(selectTarget(withSplit(20), requestWith({}), () => 7)).toEqual({ target: 'canary', newBucket: 7 });
    expect(selectTarget(withSplit(20), requestWith({}), () => 70)).toEqual({
      target: 'stable',
      newBucket: 70,
    });
  });

  it('honours the opt-in header both ways, whatever the weight', () => {
    expect(
      selectTarget(withSplit(1), requestWith({ 'x-slipway-canary': 'always', cookie: 'slipway_canary=99' }))
        .target,
    ).toBe('canary');
    expect(
      selectTarget(withSplit(99), requestWith({ 'x-slipway-canary': 'never', cookie: 'slipway_canary=0' }))
        .target,
    ).toBe('stable');
  });

  it.each([
    // The sticky cookie set to always/never opts a browser in or out whatever the weight; the header wins.
    { weight: 1, headers: { cookie: 'slipway_canary=always' }, target: 'canary' },
    { weight: 99, headers: { cookie: 'a=1; slipway_canary=never; b=2' }, target: 'stable' },
    { weight: 50, headers: { cookie: 'slipway_canary=always;other=x' }, target: 'canary' },
    {
      weight: 1,
      headers: { cookie: 'slipway_canary=always', 'x-slipway-canary': 'never' },
      target: 'stable',
    },
    {
      weight: 99,
      headers: { cookie: 'slipway_canary=never', 'x-slipway-canary': 'always' },
      target: 'canary',
    },
    { weight: 1, headers: { cookie: 'other_canary=always; slipway_canary=99' }, target: 'stable' },
  ])(
    'opt-in cookie $headers at weight $weight → $target, and no bucket is drawn',
    ({ weight, headers, target }) => {
      const result = selectTarget(withSplit(weight), requestWith(headers as Record<string, string>), () => {
        throw new Error('an opted-in tester or a user with a bucket gets no new bucket');
      });
      expect(result).toEqual({ target, newBucket: null });
    },
  );

  it('a weight of 0 removes the split', () => {
    expect(withSplit(0).split).toBeNull();
  });
});

describe('selectTarget with an upstream pool', () => {
  const counter = () => {
    let n = 0;
    return () => n++;
  };
  const pool = deriveRouteWithPool(NO_ROUTE, ['host-a', 'host-b', 'host-c']);

  it('goes round-robin over the members with the counter the caller passes in', () => {
    const next = counter();
    const targets = Array.from({ length: 7 }, () => selectTarget(pool, requestWith({}), undefined, next));
    expect(targets.map((s) => s.target)).toEqual([
      'host-a',
      'host-b',
      'host-c',
      'host-a',
      'host-b',
      'host-c',
      'host-a',
    ]);
    expect(targets.every((s) => s.newBucket === null)).toBe(true);
  });

  it('selects nothing when the pool is empty (the router answers 503)', () => {
    const empty = deriveRouteWithPool(NO_ROUTE, []);
    expect(selectTarget(empty, requestWith({}), undefined, counter()).target).toBeNull();
    expect(selectPoolMember({ members: [] }, 5)).toBeNull();
  });

  it('leaves the pool alone while a target is active, and draws no turn for it', () => {
    const route = deriveRouteWithActive(pool, 'app-v1');
    const next = () => {
      throw new Error('no turn is drawn for the active target');
    };
    expect(selectTarget(route, requestWith({}), undefined, next).target).toBe('app-v1');
  });

  it('keeps the pool across a switch and a split, and drops it when set to null', () => {
    const split = deriveRouteWithSplit(pool, { canary: 'c', weight: 10, header: 'x', cookie: 'k' });
    expect(deriveRouteWithActive(split, null).pool?.members).toEqual(['host-a', 'host-b', 'host-c']);
    expect(deriveRouteWithPool(pool, null)).toEqual(NO_ROUTE);
  });

  it.each([
    { members: ['a', 'b', 'c'], failed: 'a', n: 0, other: 'b' },
    { members: ['a', 'b', 'c'], failed: 'a', n: 1, other: 'b' },
    { members: ['a', 'b', 'c'], failed: 'c', n: 2, other: 'a' },
    { members: ['a', 'b'], failed: 'x', n: 3, other: 'b' },
    { members: ['a'], failed: 'a', n: 0, other: null },
    { members: ['a'], failed: 'b', n: 4, other: 'a' },
    { members: [], failed: 'a', n: 0, other: null },
  ])('a retry after $failed failed (turn $n of $members) goes to $other', ({ members, failed, n, other }) => {
    expect(selectPoolMemberOtherThan({ members }, failed, n)).toBe(other);
  });
});

describe('parseOptInCookie', () => {
  it.each([
    [undefined, null],
    ['slipway_canary=always', 'always'],
    ['a=1; slipway_canary=never', 'never'],
    ['slipway_canary= always ; b=2', 'always'],
    ['slipway_canary=42', null],
    ['slipway_canary=alwaysx', null],
    ['xslipway_canary=always', null],
  ])('%j → %j', (header, optIn) => expect(parseOptInCookie(header, 'slipway_canary')).toBe(optIn));
});

describe('parseBucket', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['slipway_canary=42', 42],
    ['a=1; slipway_canary=7; b=2', 7],
    ['xslipway_canary=5', null],
    ['slipway_canary=100', null],
    ['slipway_canary=abc', null],
    ['slipway_canary=always', null],
  ])('%j → %j', (header, bucket) => expect(parseBucket(header, 'slipway_canary')).toBe(bucket));
});
