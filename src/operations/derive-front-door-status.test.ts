import { describe, expect, it } from 'vitest';
import type { RouteStatus } from '../agent/protocol.js';
import { deriveFrontDoorStatus } from './derive-front-door-status.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-01-01T00:00:00.000Z');
type Certificate = NonNullable<RouteStatus['frontDoor']>['certificates'][number];

const cert = (names: string[], daysLeft: number, extra: Partial<Certificate> = {}): Certificate => ({
  file: `/home/slipway/front-door-certificates/${names[0] ?? 'x'}.pem`,
  names,
  issuer: 'CN=Slipway Test CA',
  notBefore: new Date(NOW - 10 * DAY).toISOString(),
  notAfter: new Date(NOW + daysLeft * DAY).toISOString(),
  source: 'files',
  ...extra,
});

const route = (certificates: Certificate[]): Pick<RouteStatus, 'frontDoor'> => ({
  frontDoor: { names: ['shop.test'], pathPrefix: '/', httpPort: 80, httpsPort: 443, certificates },
});

describe('deriveFrontDoorStatus', () => {
  it('is null when no host routes the environment on a front door', () => {
    expect(deriveFrontDoorStatus([{ host: 'web-1', route: null }], NOW)).toBeNull();
    expect(deriveFrontDoorStatus([{ host: 'web-1', route: {} }], NOW)).toBeNull();
  });

  it('lists each certificate once with the hosts that serve it, flagged by its expiry', () => {
    const shop = cert(['shop.test'], 60);
    const view = deriveFrontDoorStatus(
      [
        { host: 'web-1', route: route([shop, cert(['old.test'], 10)]) },
        { host: 'web-2', route: route([shop, cert(['gone.test'], -2)]) },
        { host: 'web-3', route: null },
      ],
      NOW,
    );
    expect(view).toMatchObject({
      names: ['shop.test'],
      httpPort: 80,
      httpsPort: 443,
      hosts: ['web-1', 'web-2'],
      acme: false,
    });
    expect(view?.certificates.map((c) => [c.names[0], c.state, c.daysLeft, c.hosts])).toEqual([
      ['shop.test', 'valid', 60, ['web-1', 'web-2']],
      ['old.test', 'expiring', 10, ['web-1']],
      ['gone.test', 'expired', -2, ['web-2']],
    ]);
  });

  it('flags a certificate from 14 days before it expires, and one whose file the host cannot read', () => {
    const view = deriveFrontDoorStatus(
      [
        {
          host: 'local',
          route: route([
            cert(['a.test'], 14),
            cert(['b.test'], 13.9),
            cert([], 0, { notAfter: '', notBefore: '', issuer: '', error: 'cannot read /x.pem: ENOENT' }),
          ]),
        },
      ],
      NOW,
    );
    expect(view?.certificates.map((c) => [c.state, c.error])).toEqual([
      ['valid', null],
      ['expiring', null],
      ['unreadable', 'cannot read /x.pem: ENOENT'],
    ]);
  });

  it('says whether the hosts obtain the certificates themselves (ACME)', () => {
    const acme = { frontDoor: { ...route([]).frontDoor!, acme: true } };
    expect(deriveFrontDoorStatus([{ host: 'local', route: acme }], NOW)).toMatchObject({
      acme: true,
      certificates: [],
    });
  });

  it('shows no certificate from an agent that sent their count', () => {
    const older = { frontDoor: { ...route([]).frontDoor!, certificates: 2 as unknown as Certificate[] } };
    expect(deriveFrontDoorStatus([{ host: 'local', route: older }], NOW)?.certificates).toEqual([]);
  });
});
