import { describe, expect, it } from 'vitest';
import { describeHostRenewal } from './certificates.js';

const until = (day: string) => `2030-01-${day}T00:00:00.000Z`;

describe('describeHostRenewal', () => {
  it('shows the certificate replaced and the one served now', () => {
    const text = describeHostRenewal({
      host: 'web1',
      key: 'shop@production',
      ok: true,
      renewal: {
        key: 'shop@production',
        names: ['shop.test', 'www.shop.test'],
        previous: { serial: 'aa01', notAfter: until('01'), issuer: 'CN=Pebble' },
        current: { serial: 'bb02', notAfter: until('02'), issuer: 'CN=Pebble' },
        revoked: true,
      },
    });
    expect(text).toBe(
      `✔ web1: shop.test, www.shop.test\n    was  serial aa01  valid until ${until('01')}  (revoked)\n    now  serial bb02  valid until ${until('02')}\n`,
    );
  });

  it('says when there was none, and why a host has no new one', () => {
    const first = describeHostRenewal({
      host: 'local',
      key: 'shop@staging',
      ok: true,
      renewal: {
        key: 'shop@staging',
        names: ['staging.shop.test'],
        previous: null,
        current: { serial: 'cc03', notAfter: until('03'), issuer: 'CN=Pebble' },
        revoked: false,
      },
    });
    expect(first).toContain('    was  none\n');
    expect(
      describeHostRenewal({
        host: 'edge1',
        key: 'edge:shop@production',
        ok: false,
        error: 'its agent predates certificates renew',
        hint: 'upgrade it',
      }),
    ).toBe('✖ edge1: its agent predates certificates renew\n    hint: upgrade it\n');
  });
});
