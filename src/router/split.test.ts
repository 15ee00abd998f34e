import { describe, expect, it } from 'vitest';
import {
  NO_ROUTE,
  deriveRouteWithActive,
  deriveRouteWithSplit,
  parseBucket,
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

  it('a weight of 0 removes the split', () => {
    expect(withSplit(0).split).toBeNull();
  });
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
  ])('%j → %j', (header, bucket) => expect(parseBucket(header, 'slipway_canary')).toBe(bucket));
});
