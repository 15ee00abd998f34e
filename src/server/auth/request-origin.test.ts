import { describe, expect, it } from 'vitest';
import { deriveRequestOrigin } from './request-origin.js';

const raw = (o: Partial<Parameters<typeof deriveRequestOrigin>[0]>) => ({
  peerAddress: '203.0.113.9',
  url: 'http://slipway.example/api/v1/login',
  forwardedFor: undefined,
  forwardedProto: undefined,
  ...o,
});

describe('deriveRequestOrigin', () => {
  it('takes the TCP peer and the URL scheme of a direct request', () => {
    expect(deriveRequestOrigin(raw({}))).toEqual({ address: '203.0.113.9', secure: false });
    expect(deriveRequestOrigin(raw({ url: 'https://x/api' }))).toEqual({
      address: '203.0.113.9',
      secure: true,
    });
  });

  it('ignores forwarding headers from a peer that is not on this machine', () => {
    expect(deriveRequestOrigin(raw({ forwardedFor: '198.51.100.1', forwardedProto: 'https' }))).toEqual({
      address: '203.0.113.9',
      secure: false,
    });
  });

  it('believes a proxy on loopback: the last X-Forwarded-For entry and X-Forwarded-Proto', () => {
    for (const peerAddress of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) {
      expect(
        deriveRequestOrigin(
          raw({ peerAddress, forwardedFor: '10.9.9.9, 198.51.100.7', forwardedProto: 'https' }),
        ),
      ).toEqual({ address: '198.51.100.7', secure: true });
    }
  });

  it('keeps the peer when a trusted proxy sends no or a malformed address', () => {
    expect(deriveRequestOrigin(raw({ peerAddress: '127.0.0.1' }))).toEqual({
      address: '127.0.0.1',
      secure: false,
    });
    expect(deriveRequestOrigin(raw({ peerAddress: '127.0.0.1', forwardedFor: 'evil' }))).toMatchObject({
      address: '127.0.0.1',
    });
  });
});
