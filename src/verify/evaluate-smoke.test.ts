import { describe, expect, it } from 'vitest';
import { evaluateSmokeResponse, readJsonPath, type SmokeResponse } from './evaluate-smoke.js';
import type { SmokeRequestPlan } from './verify-suite.js';

type Expect = SmokeRequestPlan['expect'];
const expectation = (o: Partial<Expect> = {}): Expect => ({
  status: 200,
  headers: {},
  body: [],
  json: {},
  withinMs: 1000,
  ...o,
});
const answer = (o: Partial<SmokeResponse> = {}): SmokeResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ release: '2.0.0', items: [{ id: 7 }], ok: true, none: null }),
  durationMs: 12,
  ...o,
});

describe('evaluateSmokeResponse', () => {
  const cases: Array<[string, Partial<Expect>, Partial<SmokeResponse>, string[]]> = [
    ['all as expected', {}, {}, []],
    ['wrong status', { status: 201 }, {}, ['status 200, expected 201']],
    ['too slow', { withinMs: 10 }, { durationMs: 250 }, ['answered in 250ms, limit 10ms']],
    ['header present', { headers: { 'Content-Type': 'json' } }, {}, []],
    ['header missing', { headers: { 'X-Release': '' } }, {}, ['header X-Release is missing']],
    [
      'header value differs',
      { headers: { 'content-type': 'text/html' } },
      {},
      ['header content-type is "application/json", expected it to contain "text/html"'],
    ],
    ['body fragment with {{release}}', { body: ['"release":"{{release}}"'] }, {}, []],
    ['body fragment missing', { body: ['Hello'] }, {}, ['body lacks "Hello"']],
    [
      'json fields by path',
      { json: { release: '{{release}}', 'items[0].id': 7, ok: true, none: null } },
      {},
      [],
    ],
    ['json field differs', { json: { 'items.0.id': 8 } }, {}, ['JSON field items.0.id is 7, expected 8']],
    ['json field missing', { json: { 'items[3].id': 1 } }, {}, ['JSON field items[3].id is missing']],
    ['body not JSON', { json: { a: 1 } }, { body: 'plain' }, ['body is not JSON']],
    [
      'several problems at once',
      { status: 200, body: ['x'] },
      { status: 500, body: 'oops' },
      ['status 500, expected 200', 'body lacks "x"'],
    ],
  ];
  it.each(cases)('%s', (_name, e, a, problems) => {
    expect(evaluateSmokeResponse(expectation(e), answer(a), '2.0.0')).toEqual(problems);
  });
});

describe('readJsonPath', () => {
  const doc = { a: { b: [{ c: 1 }, { c: null }] }, 'x-y': 'z' };
  it.each([
    ['a.b[0].c', { found: true, value: 1 }],
    ['a.b.1.c', { found: true, value: null }],
    ['a.b[2].c', { found: false }],
    ['a.missing', { found: false }],
    ['x-y', { found: true, value: 'z' }],
    ['a.b[0].c.d', { found: false }],
  ])('%s', (path, expected) => {
    expect(readJsonPath(doc, path)).toEqual(expected);
  });
});
