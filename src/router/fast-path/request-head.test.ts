import { describe, expect, it } from 'vitest';
import { parseRequestHead, type ClassicReason } from './request-head.js';

const head = (text: string) => parseRequestHead(Buffer.from(text, 'latin1'));

describe('parseRequestHead', () => {
  it('reads an ordinary GET: method, target, raw headers, no body, keep-alive', () => {
    const text = 'GET /items?page=2 HTTP/1.1\r\nHost: shop.example\r\nAccept:  */* \r\nX-Empty:\r\n\r\n';
    expect(head(text)).toEqual({
      kind: 'eligible',
      head: {
        method: 'GET',
        target: '/items?page=2',
        rawHeaders: ['Host', 'shop.example', 'Accept', '*/*', 'X-Empty', ''],
        contentLength: 0,
        keepAlive: true,
        headBytes: text.length,
      },
    });
  });

  it.each([
    [
      'a POST with a length',
      'POST /f HTTP/1.1\r\nhost: a\r\ncontent-length: 12\r\n\r\n',
      { contentLength: 12 },
    ],
    ['Connection: close', 'GET / HTTP/1.1\r\nhost: a\r\nConnection: Close\r\n\r\n', { keepAlive: false }],
    [
      'close among other options',
      'GET / HTTP/1.1\r\nhost: a\r\nconnection: x-hop, close\r\n\r\n',
      { keepAlive: false },
    ],
    ['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nhost: a\r\n\r\n', { target: '*' }],
    ['an extension method', 'PURGE /x HTTP/1.1\r\nhost: a\r\n\r\n', { method: 'PURGE' }],
    ['a tab inside a value', 'GET / HTTP/1.1\r\nhost: a\r\nx-t: a\tb\r\n\r\n', {}],
    ['obs-text in a value', 'GET / HTTP/1.1\r\nhost: a\r\nx-t: caf\xe9\r\n\r\n', {}],
    ['Content-Length: 0', 'GET / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n', { contentLength: 0 }],
  ])('takes %s', (_name, text, expected) => {
    const parsed = head(text);
    expect(parsed.kind).toBe('eligible');
    if (parsed.kind === 'eligible') expect(parsed.head).toMatchObject(expected);
  });

  it('ends the head at the empty line and leaves pipelined bytes alone', () => {
    const first = 'GET /a HTTP/1.1\r\nhost: a\r\n\r\n';
    const parsed = head(`${first}GET /b HTTP/1.1\r\nhost: a\r\n\r\n`);
    expect(parsed.kind === 'eligible' && parsed.head.headBytes).toBe(first.length);
  });

  it('asks for more bytes at every cut of an eligible head', () => {
    const text = 'POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n';
    for (let cut = 0; cut < text.length; cut++) expect(head(text.slice(0, cut)).kind).toBe('incomplete');
    expect(head(text).kind).toBe('eligible');
  });

  const refusals: [string, string, ClassicReason][] = [
    [
      'CL + TE (smuggling)',
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n',
      'transfer-encoding',
    ],
    [
      'chunked alone',
      'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n',
      'transfer-encoding',
    ],
    [
      'two Content-Lengths',
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ncontent-length: 4\r\n\r\n',
      'content-length',
    ],
    [
      'two different Content-Lengths',
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ncontent-length: 5\r\n\r\n',
      'content-length',
    ],
    ['Content-Length: +5', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: +5\r\n\r\n', 'content-length'],
    ['Content-Length: -1', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: -1\r\n\r\n', 'content-length'],
    ['a Content-Length list', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4, 4\r\n\r\n', 'content-length'],
    ['a hex Content-Length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0x10\r\n\r\n', 'content-length'],
    ['an empty Content-Length', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length:\r\n\r\n', 'content-length'],
    [
      'a huge Content-Length',
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 1234567890123456\r\n\r\n',
      'content-length',
    ],
    [
      'space before the colon',
      'POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding : chunked\r\n\r\n',
      'bad-header',
    ],
    [
      ' Transfer-Encoding (obs-fold)',
      'POST / HTTP/1.1\r\nhost: a\r\n Transfer-Encoding: chunked\r\n\r\n',
      'obs-fold',
    ],
    ['a folded value', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: b\r\n\tc\r\n\r\n', 'obs-fold'],
    ['bare LF between headers', 'GET / HTTP/1.1\r\nhost: a\nx-a: b\r\n\r\n', 'bare-lf'],
    ['bare LF ending the request line', 'GET / HTTP/1.1\nhost: a\r\n\r\n', 'bare-lf'],
    ['bare LF ending the head', 'GET / HTTP/1.1\r\nhost: a\r\n\n', 'bare-lf'],
    ['CR without LF', 'GET / HTTP/1.1\r\nhost: a\rx-a: b\r\n\r\n', 'bad-header'],
    ['NUL in a value', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: b\x00c\r\n\r\n', 'bad-header'],
    ['DEL in a value', 'GET / HTTP/1.1\r\nhost: a\r\nx-a: b\x7fc\r\n\r\n', 'bad-header'],
    ['a non-token header name', 'GET / HTTP/1.1\r\nhost: a\r\nx(a): b\r\n\r\n', 'bad-header'],
    ['an empty header name', 'GET / HTTP/1.1\r\nhost: a\r\n: b\r\n\r\n', 'bad-header'],
    ['absolute-form', 'GET http://a/ HTTP/1.1\r\nhost: a\r\n\r\n', 'not-origin-form'],
    ['authority-form (CONNECT)', 'CONNECT a:443 HTTP/1.1\r\nhost: a\r\n\r\n', 'not-origin-form'],
    ['* with GET', 'GET * HTTP/1.1\r\nhost: a\r\n\r\n', 'not-origin-form'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nhost: a\r\n\r\n', 'not-http-1.1'],
    ['HTTP/2.0', 'GET / HTTP/2.0\r\nhost: a\r\n\r\n', 'not-http-1.1'],
    ['no version', 'GET /\r\nhost: a\r\n\r\n', 'bad-request-line'],
    ['two spaces after the method', 'GET  / HTTP/1.1\r\nhost: a\r\n\r\n', 'bad-request-line'],
    ['a non-token method', 'G(T / HTTP/1.1\r\nhost: a\r\n\r\n', 'bad-request-line'],
    ['a control character in the target', 'GET /a\x01b HTTP/1.1\r\nhost: a\r\n\r\n', 'bad-request-line'],
    ['a leading empty line', '\r\nGET / HTTP/1.1\r\nhost: a\r\n\r\n', 'bad-request-line'],
    ['Host twice', 'GET / HTTP/1.1\r\nhost: a\r\nHost: b\r\n\r\n', 'host-count'],
    ['Host missing', 'GET / HTTP/1.1\r\nx-a: b\r\n\r\n', 'host-count'],
    [
      'Upgrade',
      'GET /ws HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n',
      'upgrade',
    ],
    ['Expect', 'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n', 'expect'],
  ];
  it.each(refusals)('sends %s to the classic path', (_name, text, reason) => {
    expect(head(text)).toEqual({ kind: 'classic', reason });
  });

  it('sends a head over 16 KiB to the classic path, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nhost: a\r\nx-big: ${'a'.repeat(16 * 1024)}`;
    expect(head(big)).toEqual({ kind: 'classic', reason: 'head-too-large' });
    expect(head(`${big}\r\n\r\n`)).toEqual({ kind: 'classic', reason: 'head-too-large' });
  });
});
