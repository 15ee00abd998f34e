import { describe, expect, it } from 'vitest';
import type { LatencyHistogram } from '../core/latency-histogram.js';
import {
  DEFAULT_EDGE_FAILOVER,
  allowsRetry,
  classifyPoolFailure,
  decideAtBound,
  decidePassiveEjection,
  deriveAnswerBoundMs,
  type EjectionCandidate,
} from './edge-failover.js';
import { LATENCY_BOUNDS_MS } from './metrics.js';

/** A histogram of the router's buckets with `n` answers in the bucket whose upper bound is `boundMs`. */
function answers(...entries: Array<[boundMs: number | 'open', n: number]>): LatencyHistogram {
  const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const [bound, n] of entries) {
    const i = bound === 'open' ? LATENCY_BOUNDS_MS.length : LATENCY_BOUNDS_MS.indexOf(bound);
    if (i < 0) throw new Error(`no bucket ${bound}`);
    counts[i] = (counts[i] as number) + n;
  }
  return { boundsMs: [...LATENCY_BOUNDS_MS], counts };
}

const spec = { answerTimeoutMinMs: 1_000, answerTimeoutMaxMs: 10_000 };

describe('deriveAnswerBoundMs', () => {
  it.each([
    { name: 'no recent answer: the floor', recent: answers(), bound: 1_000 },
    { name: 'fast member: the floor', recent: answers([5, 990], [50, 10]), bound: 1_000 },
    { name: 'p99 above the floor: the p99', recent: answers([250, 900], [2500, 100]), bound: 2_350 },
    { name: 'a member slower than the cap: the cap', recent: answers(['open', 100]), bound: 10_000 },
    {
      name: 'one answer in the 5 s bucket: interpolated within it',
      recent: answers([5000, 1]),
      bound: 4_975,
    },
  ])('$name → $bound ms', ({ recent, bound }) => {
    expect(deriveAnswerBoundMs(recent, spec)).toBe(bound);
  });

  it('keeps within a floor and cap that are the same', () => {
    expect(
      deriveAnswerBoundMs(answers([2500, 5]), { answerTimeoutMinMs: 700, answerTimeoutMaxMs: 700 }),
    ).toBe(700);
  });

  it('defaults to a 1 s floor and a 10 s cap, 1 s connects, 20% retries and 3 timeouts in a row', () => {
    expect(DEFAULT_EDGE_FAILOVER).toEqual({
      connectTimeoutMs: 1_000,
      answerTimeoutMinMs: 1_000,
      answerTimeoutMaxMs: 10_000,
      retryBudget: 0.2,
      ejectAfter: 3,
    });
  });
});

describe('classifyPoolFailure', () => {
  it.each([
    ['ECONNREFUSED', 'refused'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EHOSTDOWN', 'unreachable'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['ECONNRESET', 'stale'],
    ['EPIPE', 'stale'],
    ['UND_ERR_SOCKET', 'stale'],
    ['UND_ERR_INVALID_ARG', null],
    ['UND_ERR_HEADERS_TIMEOUT', null],
    ['', null],
  ])('%s → %s', (code, failure) => {
    expect(classifyPoolFailure(code)).toBe(failure);
  });
});

describe('decideAtBound', () => {
  const base = { idempotent: true, retried: false, silentForMs: 1_000, boundMs: 1_000, budgetAllows: true };
  it.each([
    { name: 'silent member, idempotent, budget left: retry', at: {}, silent: true, retry: true },
    { name: 'silent for half the bound: still silent', at: { silentForMs: 500 }, silent: true, retry: true },
    {
      name: 'the member answered others meanwhile: a slow request, not a cut link',
      at: { silentForMs: 499 },
      silent: false,
      retry: false,
    },
    { name: 'never answered at all: silent', at: { silentForMs: Infinity }, silent: true, retry: true },
    {
      name: 'a POST is never retried, but its silence counts',
      at: { idempotent: false },
      silent: true,
      retry: false,
    },
    { name: 'retried once already: no second retry', at: { retried: true }, silent: true, retry: false },
    { name: 'budget spent: wait on', at: { budgetAllows: false }, silent: true, retry: false },
  ])('$name', ({ at, silent, retry }) => {
    expect(decideAtBound({ ...base, ...at })).toEqual({ silent, retry });
  });
});

describe('allowsRetry', () => {
  it.each([
    { requests: 0, retries: 0, ratio: 0.2, allowed: true, why: 'a quiet member may still retry' },
    { requests: 0, retries: 2, ratio: 0.2, allowed: true, why: 'the third of the minimum' },
    { requests: 0, retries: 3, ratio: 0.2, allowed: false, why: 'the minimum is spent' },
    { requests: 100, retries: 19, ratio: 0.2, allowed: true, why: 'the 20th of 100' },
    { requests: 100, retries: 20, ratio: 0.2, allowed: false, why: '20% of 100 spent' },
    { requests: 1000, retries: 199, ratio: 0.2, allowed: true, why: 'the 200th of 1000' },
    { requests: 1000, retries: 5, ratio: 0, allowed: false, why: 'ratio 0: only the minimum' },
    { requests: 10, retries: 9, ratio: 1, allowed: true, why: 'ratio 1: every request may retry once' },
  ])(
    '$requests requests, $retries retries, ratio $ratio → $allowed ($why)',
    ({ requests, retries, ratio, allowed }) => {
      expect(allowsRetry({ requests, retries }, ratio)).toBe(allowed);
    },
  );
});

describe('decidePassiveEjection', () => {
  const base: EjectionCandidate = {
    failure: 'timeout',
    consecutiveTimeouts: 3,
    ejectAfter: 3,
    othersInRotation: 2,
    enabledMembers: 3,
    ejectedForTimeouts: 0,
  };
  it.each([
    { name: 'the third timeout in a row ejects', at: {}, eject: true },
    { name: 'two timeouts in a row do not', at: { consecutiveTimeouts: 2 }, eject: false },
    { name: 'a refusal ejects at once', at: { failure: 'refused', consecutiveTimeouts: 0 }, eject: true },
    {
      name: 'an unreachable address ejects at once',
      at: { failure: 'unreachable', consecutiveTimeouts: 0 },
      eject: true,
    },
    { name: 'never the last member in rotation', at: { othersInRotation: 0 }, eject: false },
    { name: 'not even for a refusal', at: { failure: 'refused', othersInRotation: 0 }, eject: false },
    {
      name: 'at most half the members out for timeouts (1 of 3)',
      at: { ejectedForTimeouts: 1, othersInRotation: 1 },
      eject: false,
    },
    {
      name: 'two of four may be out for timeouts',
      at: { enabledMembers: 4, ejectedForTimeouts: 1 },
      eject: true,
    },
    { name: 'but not three of four', at: { enabledMembers: 4, ejectedForTimeouts: 2 }, eject: false },
    { name: 'one of two', at: { enabledMembers: 2, othersInRotation: 1 }, eject: true },
    {
      name: 'a refusal is not held back by the timeouts limit',
      at: { failure: 'refused', ejectedForTimeouts: 1, othersInRotation: 1 },
      eject: true,
    },
    {
      name: 'ejectAfter 1: the first timeout ejects',
      at: { ejectAfter: 1, consecutiveTimeouts: 1 },
      eject: true,
    },
  ] as Array<{ name: string; at: Partial<EjectionCandidate>; eject: boolean }>)('$name', ({ at, eject }) => {
    expect(decidePassiveEjection({ ...base, ...at })).toBe(eject);
  });
});
