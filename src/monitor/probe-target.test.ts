import { describe, expect, it } from 'vitest';
import { environmentSchema } from '../config/schema.js';
import { deriveProbeTarget } from './probe-target.js';

// What the access probe requests and where it connects: pure, from the config alone.

const env = (o: Record<string, unknown>) =>
  environmentSchema.parse({ publicPort: 8000, bindAddress: '0.0.0.0', ...o });
const tls = { certificates: [{ cert: 'c.pem', key: 'c.key' }] };
const door = { httpPort: 8080, httpsPort: 8443, bindAddress: '127.0.0.1' };

describe('deriveProbeTarget', () => {
  it('probes the plain address without domains', () => {
    expect(deriveProbeTarget(env({}), '/p')).toEqual({
      url: 'http://127.0.0.1:8000/',
      connectTo: null,
      caFile: null,
    });
  });

  it('probes the first name over HTTPS on the front door, connecting to its address', () => {
    expect(
      deriveProbeTarget(env({ domains: ['*.shop.test', 'shop.test'], frontDoor: door, tls }), '/p'),
    ).toEqual({
      url: 'https://shop.test:8443/',
      connectTo: '127.0.0.1',
      caFile: null,
    });
  });

  it('over plain HTTP on httpPort without tls, at the probe path under the path prefix', () => {
    const target = deriveProbeTarget(
      env({
        domains: ['blog.test'],
        frontDoor: door,
        pathPrefix: '/api',
        monitoring: { probe: { path: '/healthz' } },
      }),
      '/p',
    );
    expect(target).toEqual({
      url: 'http://blog.test:8080/api/healthz',
      connectTo: '127.0.0.1',
      caFile: null,
    });
  });

  it("trusts verification's CA, relative to slipway.yml; a configured probe url wins", () => {
    const verify = { security: { tls: { ca: 'certs/ca.pem' } } };
    expect(deriveProbeTarget(env({ domains: ['shop.test'], tls, verify }), '/p')).toEqual({
      url: 'https://shop.test/',
      connectTo: '127.0.0.1',
      caFile: '/p/certs/ca.pem',
    });
    expect(
      deriveProbeTarget(
        env({ domains: ['shop.test'], tls, monitoring: { probe: { url: 'https://shop.example.com/up' } } }),
        '/p',
      ),
    ).toEqual({ url: 'https://shop.example.com/up', connectTo: null, caFile: null });
  });

  it('keeps the plain address when every name is a wildcard', () => {
    expect(deriveProbeTarget(env({ domains: ['*.shop.test'], tls }), '/p').url).toBe(
      'http://127.0.0.1:8000/',
    );
  });
});
