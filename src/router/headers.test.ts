import { describe, expect, it } from 'vitest';
import {
  deriveClientResponseHeaders,
  deriveUpgradeRequestHead,
  deriveUpstreamRequestHeaders,
  requestHasBody,
} from './headers.js';

const forwarded = { clientAddress: '10.0.0.7', proto: 'http' } as const;

function pairs(flat: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

describe('deriveUpstreamRequestHeaders', () => {
  it('drops hop-by-hop headers and those the Connection header names, keeps the rest in the client order', () => {
    const raw = [
      ['Host', 'shop.example'],
      ['Connection', 'keep-alive, X-Trace-Hop'],
      ['Keep-Alive', 'timeout=5'],
      ['Proxy-Connection', 'keep-alive'],
      ['TE', 'trailers'],
      ['Trailer', 'x-checksum'],
      ['Upgrade', 'h2c'],
      ['X-Trace-Hop', 'secret'],
      ['Accept', 'text/html'],
      ['Cookie', 'a=1'],
      ['Cookie', 'b=2'],
    ].flat();
    const out = pairs(deriveUpstreamRequestHeaders(raw, forwarded));
    expect(out).toEqual([
      ['Host', 'shop.example'],
      ['Accept', 'text/html'],
      ['Cookie', 'a=1'],
      ['Cookie', 'b=2'],
      ['x-forwarded-for', '10.0.0.7'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'shop.example'],
    ]);
  });

  it('appends the client to an existing X-Forwarded-For and replaces Proto and Host', () => {
    const raw = [
      ['host', 'a.example'],
      ['X-Forwarded-For', '203.0.113.9'],
      ['x-forwarded-for', '198.51.100.2'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'evil.example'],
    ].flat();
    const out = pairs(deriveUpstreamRequestHeaders(raw, forwarded));
    expect(out).toEqual([
      ['host', 'a.example'],
      ['x-forwarded-for', '203.0.113.9, 198.51.100.2, 10.0.0.7'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'a.example'],
    ]);
  });

  it('drops Expect (Node has already answered 100-continue) and keeps Content-Length', () => {
    const raw = ['Host', 'h', 'Expect', '100-continue', 'Content-Length', '12'];
    const names = pairs(deriveUpstreamRequestHeaders(raw, forwarded)).map(([n]) => n);
    expect(names).not.toContain('Expect');
    expect(names).toContain('Content-Length');
  });

  // Removing a framing header while forwarding the body it frames smuggles the body in as further requests.
  it.each([
    'content-length',
    'Content-Length',
    'keep-alive, Content-Length',
    'CONTENT-LENGTH , close',
    'x-a,transfer-encoding,host,content-length',
  ])('never removes Content-Length or Host because Connection: %s names them', (connection) => {
    const raw = ['Host', 'h', 'Connection', connection, 'Content-Length', '35', 'X-A', '1'];
    expect(pairs(deriveUpstreamRequestHeaders(raw, forwarded)).slice(0, 2)).toEqual([
      ['Host', 'h'],
      ['Content-Length', '35'],
    ]);
  });

  it('keeps Host where the client put it, among many headers', () => {
    const raw = [...Array.from({ length: 120 }, (_, i) => [`X-H${i}`, 'v']).flat(), 'Host', 'h', 'Z', 'z'];
    const out = deriveUpstreamRequestHeaders(raw, forwarded);
    expect(out.indexOf('Host')).toBe(240);
    expect(out[242]).toBe('Z');
  });

  it("takes an absolute-form target's authority as Host", () => {
    const raw = ['Accept', '*/*', 'Host', 'client.example', 'X', '1'];
    expect(pairs(deriveUpstreamRequestHeaders(raw, forwarded, 'shop.example:8080'))).toEqual([
      ['Accept', '*/*'],
      ['Host', 'shop.example:8080'],
      ['X', '1'],
      ['x-forwarded-for', '10.0.0.7'],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'shop.example:8080'],
    ]);
  });

  it('says "unknown" when the client address is gone and sets no X-Forwarded-Host without Host', () => {
    const out = pairs(deriveUpstreamRequestHeaders([], { clientAddress: undefined, proto: 'http' }));
    expect(out).toEqual([
      ['x-forwarded-for', 'unknown'],
      ['x-forwarded-proto', 'http'],
    ]);
  });
});

describe('deriveClientResponseHeaders', () => {
  it('keeps duplicate set-cookie headers and drops hop-by-hop ones (raw buffers from undici)', () => {
    const raw = [
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1; Path=/'],
      ['Set-Cookie', 'b=2; Path=/'],
      ['Connection', 'keep-alive, X-Internal'],
      ['Keep-Alive', 'timeout=5'],
      ['Transfer-Encoding', 'chunked'],
      ['X-Internal', 'yes'],
      ['Content-Length', '5'],
    ]
      .flat()
      .map((s) => Buffer.from(s, 'latin1'));
    expect(pairs(deriveClientResponseHeaders(raw))).toEqual([
      ['Content-Type', 'text/plain'],
      ['Set-Cookie', 'a=1; Path=/'],
      ['Set-Cookie', 'b=2; Path=/'],
      ['Content-Length', '5'],
    ]);
  });

  it.each(['content-length', 'Keep-Alive, CONTENT-LENGTH', 'transfer-encoding, content-length'])(
    "keeps the answer's Content-Length when Connection: %s names it",
    (connection) => {
      const raw = ['Connection', connection, 'Content-Length', '5', 'X', '1'].map((s) => Buffer.from(s));
      expect(pairs(deriveClientResponseHeaders(raw))).toEqual([
        ['Content-Length', '5'],
        ['X', '1'],
      ]);
    },
  );

  it('round-trips non-ASCII bytes unchanged', () => {
    const value = Buffer.from('café', 'utf8');
    const [, out] = deriveClientResponseHeaders([Buffer.from('x-name'), value]);
    expect(Buffer.from(out!, 'latin1')).toEqual(value);
  });
});

describe('deriveUpgradeRequestHead', () => {
  it('keeps Connection and Upgrade, sets X-Forwarded-*, ends with an empty line', () => {
    const raw = ['Host', 'ws.example', 'Connection', 'Upgrade', 'Upgrade', 'websocket', 'Keep-Alive', '5'];
    expect(deriveUpgradeRequestHead('GET', '/chat?room=1', raw, forwarded)).toBe(
      'GET /chat?room=1 HTTP/1.1\r\n' +
        'Host: ws.example\r\n' +
        'Connection: Upgrade\r\n' +
        'Upgrade: websocket\r\n' +
        'x-forwarded-for: 10.0.0.7\r\n' +
        'x-forwarded-proto: http\r\n' +
        'x-forwarded-host: ws.example\r\n' +
        '\r\n',
    );
  });
});

describe('requestHasBody', () => {
  it.each([
    [[], false],
    [['Content-Length', '0'], false],
    [['Content-Length', '3'], true],
    [['Transfer-Encoding', 'chunked'], true],
    [['Host', 'x'], false],
  ])('%j → %s', (raw, expected) => {
    expect(requestHasBody(raw)).toBe(expected);
  });
});
