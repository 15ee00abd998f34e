import { describe, expect, it } from 'vitest';
import { describeExpiry, issuerName } from './describe-certificate.js';
import { describeFrontDoorPlan, type FrontDoorPlanView } from './describe-front-door.js';
import { describePlan } from './describe-plan.js';
import { planDeploy } from './plan-deploy.js';
import { deployInput } from './test-fixtures.js';

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const door = (tls: FrontDoorPlanView['tls']): FrontDoorPlanView => ({
  hosts: ['local'],
  names: ['shop.test', 'www.shop.test'],
  pathPrefix: '/',
  httpPort: 80,
  httpsPort: 443,
  bindAddress: '0.0.0.0',
  tls,
});

describe('certificate words', () => {
  it('says when a certificate expires, in days, hours or minutes, or how long ago it did', () => {
    expect(describeExpiry('2026-03-01T12:00:00.000Z', NOW)).toBe('expires 2026-03-01 (in 59 days)');
    expect(describeExpiry('2026-01-02T00:00:00.000Z', NOW)).toBe('expires 2026-01-02 (in 1 day)');
    expect(describeExpiry('2026-01-01T05:30:00.000Z', NOW)).toBe('expires 2026-01-01 (in 5 hours)');
    expect(describeExpiry('2026-01-01T00:00:20.000Z', NOW)).toBe('expires 2026-01-01 (in 1 minute)');
    expect(describeExpiry('2025-12-29T00:00:00.000Z', NOW)).toBe('expired 2025-12-29 (3 days ago)');
    expect(describeExpiry('', NOW)).toBe('expiry unknown');
  });

  it('names the issuer by its common name and organization', () => {
    expect(issuerName('CN=Slipway Test CA')).toBe('Slipway Test CA');
    expect(issuerName("C=US, O=Let's Encrypt, CN=R11")).toBe("R11 (Let's Encrypt)");
    expect(issuerName('C=US, O=Example, Inc., CN=Example Issuing CA')).toBe(
      'Example Issuing CA (Example, Inc.)',
    );
    expect(issuerName('C=US, O=Example, Inc.')).toBe('Example, Inc.');
    expect(issuerName('')).toBe('');
  });
});

describe('describeFrontDoorPlan', () => {
  it('shows the route and each certificate file with what it holds, read on this machine', () => {
    expect(
      describeFrontDoorPlan(
        door({
          kind: 'files',
          certificates: [
            {
              certFile: '/etc/certs/shop.pem',
              keyFile: '/etc/certs/shop.key',
              facts: {
                names: ['shop.test', 'www.shop.test'],
                issuer: 'CN=Slipway Test CA',
                notBefore: '2025-12-01T00:00:00.000Z',
                notAfter: '2026-03-01T00:00:00.000Z',
              },
            },
            {
              certFile: '/etc/certs/gone.pem',
              keyFile: '/etc/certs/gone.key',
              facts: { error: 'cannot read /etc/certs/gone.pem: ENOENT' },
            },
          ],
        }),
        NOW,
      ),
    ).toEqual([
      'Front door on local (0.0.0.0): shop.test, www.shop.test on HTTP :80 and HTTPS :443',
      '  certificate /etc/certs/shop.pem (key /etc/certs/shop.key): shop.test, www.shop.test, issuer Slipway Test CA, expires 2026-03-01 (in 59 days)',
      '  certificate /etc/certs/gone.pem (key /etc/certs/gone.key): cannot read /etc/certs/gone.pem: ENOENT',
    ]);
  });

  it('says where an ACME certificate will come from, and that a door without tls is plain HTTP', () => {
    expect(
      describeFrontDoorPlan(door({ kind: 'acme', directory: 'letsencrypt', email: 'ops@shop.test' }), NOW),
    ).toEqual([
      'Front door on local (0.0.0.0): shop.test, www.shop.test on HTTP :80 and HTTPS :443',
      '  certificate obtained from letsencrypt (ACME, account ops@shop.test) for shop.test, www.shop.test',
    ]);
    expect(
      describeFrontDoorPlan(
        { ...door({ kind: 'none' }), pathPrefix: '/api', hosts: ['web-1', 'web-2'] },
        NOW,
      ),
    ).toEqual([
      'Front door on web-1, web-2 (0.0.0.0): shop.test/api, www.shop.test/api on HTTP :80',
      '  no tls: plain HTTP (HTTPS :443 has no certificate for these names)',
    ]);
  });

  it('is a paragraph of the plan text before its stages, and absent without a front door', () => {
    const plan = planDeploy(deployInput());
    const without = describePlan(plan);
    const withDoor = describePlan(plan, { frontDoor: door({ kind: 'none' }), nowMs: NOW });
    expect(describePlan(plan, { frontDoor: null, nowMs: NOW })).toBe(without);
    expect(withDoor).toContain(
      '\n\nFront door on local (0.0.0.0): shop.test, www.shop.test on HTTP :80\n  no tls: plain HTTP (HTTPS :443 has no certificate for these names)\n\n1. ',
    );
    expect(withDoor.replace(/Front door[^\n]*\n[^\n]*\n\n/, '')).toBe(without);
  });
});
