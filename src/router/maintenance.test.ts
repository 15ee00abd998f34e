import { describe, expect, it } from 'vitest';
import {
  acceptsHtml,
  answerInMaintenance,
  pathOf,
  planMaintenance,
  renderMaintenancePage,
  type MaintenanceSpec,
} from './maintenance.js';
import type { RequestInfo } from './split.js';

const SPEC: MaintenanceSpec = {
  message: 'Back at 14:00 UTC',
  retryAfterS: 300,
  healthPath: '/healthz',
  bypassToken: 's3cret-token',
  sinceMs: 0,
  by: 'ops@laptop',
};

function requestWith(headers: Record<string, string>): RequestInfo {
  return { header: (name) => headers[name] };
}

describe('answerInMaintenance', () => {
  const plan = planMaintenance(SPEC);
  const html = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';
  const cases: Array<[string, string, Record<string, string>, 'pass' | 'html' | 'plain']> = [
    ['a page, browser', '/cart', { accept: html }, 'html'],
    ['a page, curl', '/cart', { accept: '*/*' }, 'plain'],
    ['no accept header', '/', {}, 'plain'],
    ['the health path', '/healthz', {}, 'pass'],
    ['the health path with a query', '/healthz?full=1', {}, 'pass'],
    ['the health path, absolute-form', 'http://shop.example/healthz', {}, 'pass'],
    ['below the health path', '/healthz/db', {}, 'plain'],
    ['a prefix of the health path', '/health', {}, 'plain'],
    ['the bypass header', '/cart', { 'x-slipway-maintenance-bypass': 's3cret-token' }, 'pass'],
    ['the bypass header, padded', '/cart', { 'x-slipway-maintenance-bypass': ' s3cret-token ' }, 'pass'],
    ['a wrong bypass header', '/cart', { 'x-slipway-maintenance-bypass': 's3cret-tokem' }, 'plain'],
    ['a longer bypass header', '/cart', { 'x-slipway-maintenance-bypass': 's3cret-token2' }, 'plain'],
    ['an empty bypass header', '/cart', { 'x-slipway-maintenance-bypass': '' }, 'plain'],
    ['the bypass cookie', '/', { cookie: 'a=1; slipway_maintenance_bypass=s3cret-token; b=2' }, 'pass'],
    ['a wrong bypass cookie', '/', { cookie: 'slipway_maintenance_bypass=nope', accept: html }, 'html'],
    ['the token in another cookie', '/', { cookie: 'other=s3cret-token' }, 'plain'],
    ['the canary header does not pass', '/', { 'x-slipway-canary': 'always' }, 'plain'],
  ];
  it.each(cases)('%s', (_, target, headers, expected) => {
    const answer = answerInMaintenance(plan, target, requestWith(headers));
    const got = answer === null ? 'pass' : answer.contentType.startsWith('text/html') ? 'html' : 'plain';
    expect(got).toBe(expected);
    if (answer !== null) {
      expect(answer.status).toBe(503);
      expect(answer.headers).toContainEqual(['retry-after', '300']);
      expect(answer.headers).toContainEqual(['cache-control', 'no-store']);
      expect(answer.fields).toContain('retry-after: 300\r\n');
    }
  });

  it('lets nothing through without a health path or a token', () => {
    const closed = planMaintenance({ ...SPEC, healthPath: null, bypassToken: null });
    expect(answerInMaintenance(closed, '/healthz', requestWith({}))).not.toBeNull();
    expect(
      answerInMaintenance(closed, '/', requestWith({ 'x-slipway-maintenance-bypass': '' })),
    ).not.toBeNull();
    const empty = planMaintenance({ ...SPEC, bypassToken: '' });
    expect(
      answerInMaintenance(empty, '/', requestWith({ 'x-slipway-maintenance-bypass': '' })),
    ).not.toBeNull();
  });

  it('carries the message as the plain body and on the page', () => {
    expect(plan.plain.body).toBe('Back at 14:00 UTC\n');
    expect(plan.html.body).toContain('<p>Back at 14:00 UTC</p>');
  });
});

describe('renderMaintenancePage', () => {
  it('escapes markup and writes non-ASCII as references, so the page is ASCII', () => {
    const page = renderMaintenancePage('<script>alert("x")</script> & Wartung läuft — 5 min\nthen back');
    expect(page).not.toContain('<script>');
    expect(page).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Wartung l&#228;uft &#8212;',
    );
    expect(page).toContain('5 min<br>\nthen back');
    expect(/^[\x09\x0a\x0d\x20-\x7e]*$/.test(page)).toBe(true);
  });
});

describe('acceptsHtml', () => {
  it.each([
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['text/html', true],
    ['TEXT/HTML;q=0.5', true],
    ['text/html;q=0', false],
    ['application/xhtml+xml', true],
    ['text/plain, text/html;level=1', true],
  ])('%s → %s', (accept, expected) => {
    expect(acceptsHtml(accept)).toBe(expected);
  });
});

describe('pathOf', () => {
  it.each([
    ['/a/b?c=d', '/a/b'],
    ['/a#frag', '/a'],
    ['/', '/'],
    ['*', '*'],
    ['https://shop.example', '/'],
    ['https://shop.example/x?y', '/x'],
  ])('%s → %s', (target, expected) => {
    expect(pathOf(target)).toBe(expected);
  });
});
