import { describe, expect, it } from 'vitest';
import type { CertificateView, FrontDoorStatusView } from '../operations/derive-front-door-status.js';
import { formatFrontDoorStatus } from './format-front-door-status.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const view = (certificates: Array<Partial<CertificateView>>): FrontDoorStatusView => ({
  names: ['shop.test', 'www.shop.test'],
  pathPrefix: '/',
  httpPort: 80,
  httpsPort: 443,
  hosts: ['web-1', 'web-2'],
  acme: false,
  certificates: certificates.map((c) => ({
    names: ['shop.test', 'www.shop.test'],
    issuer: "C=US, O=Let's Encrypt, CN=R11",
    notBefore: '2025-11-01T00:00:00.000Z',
    notAfter: '2026-03-01T12:00:00.000Z',
    source: 'files',
    state: 'valid',
    daysLeft: 59,
    error: null,
    hosts: ['web-1', 'web-2'],
    ...c,
  })),
});

// Not a terminal under test: no colours.
describe('formatFrontDoorStatus', () => {
  it('prints the names and ports, then each certificate with its issuer, expiry and source', () => {
    expect(formatFrontDoorStatus(view([{}]), NOW)).toEqual([
      '  front door shop.test, www.shop.test  HTTP :80, HTTPS :443 on web-1, web-2',
      "    certificate shop.test, www.shop.test  issuer R11 (Let's Encrypt)  expires 2026-03-01 (in 59 days)  files",
    ]);
  });

  it('flags one expiring soon or expired with what to do, and names the hosts of one not on all', () => {
    const lines = formatFrontDoorStatus(
      view([
        { notAfter: '2026-01-06T00:00:00.000Z', state: 'expiring', daysLeft: 5, hosts: ['web-2'] },
        { notAfter: '2025-12-29T00:00:00.000Z', state: 'expired', daysLeft: -3, source: 'acme' },
        { state: 'unreadable', error: 'cannot read /x.pem: ENOENT' },
      ]),
      NOW,
    );
    expect(lines.slice(1)).toEqual([
      "    certificate shop.test, www.shop.test  issuer R11 (Let's Encrypt)  expires 2026-01-06 (in 5 days), under 14 days: renew the files and deploy again  files on web-2",
      '    certificate shop.test, www.shop.test  issuer R11 (Let\'s Encrypt)  expired 2025-12-29 (3 days ago): not renewed yet: see "slipway history"  acme',
      '    certificate unreadable: cannot read /x.pem: ENOENT',
    ]);
  });

  it('says a front door without certificates serves plain HTTP, with its path prefix', () => {
    expect(formatFrontDoorStatus({ ...view([]), pathPrefix: '/api', hosts: ['local'] }, NOW)).toEqual([
      '  front door shop.test/api, www.shop.test/api  HTTP :80, HTTPS :443 on local',
      '    no certificate: plain HTTP',
    ]);
    expect(formatFrontDoorStatus({ ...view([]), acme: true }, NOW)[1]).toBe(
      '    no certificate yet: ACME has issued none (see "slipway history")',
    );
  });
});
