import { describe, expect, it } from 'vitest';
import { parseResponseHead, type ResponseFraming } from './response-head.js';

const parse = (text: string, method = 'GET', start = 0) =>
  parseResponseHead(Buffer.from(text, 'latin1'), start, method);

describe('parseResponseHead', () => {
  it('reads status, reason, raw headers and a length', () => {
    const text = 'HTTP/1.1 201 Created\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n';
    expect(parse(`${text}hello`)).toEqual({
      kind: 'head',
      head: {
        status: 201,
        reason: 'Created',
        rawHeaders: ['Content-Length', '5', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'],
        framing: 'length',
        contentLength: 5,
        reusable: true,
        hasDate: false,
        headBytes: text.length,
      },
    });
  });

  it('notes whether the app sent a Date header, whatever its case', () => {
    const dated = parse('HTTP/1.1 204 No Content\r\nDATE: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\n');
    const undated = parse('HTTP/1.1 204 No Content\r\nDated: no\r\n\r\n');
    expect(dated).toMatchObject({ kind: 'head', head: { hasDate: true } });
    expect(undated).toMatchObject({ kind: 'head', head: { hasDate: false } });
  });

  it.each<[string, string, string, ResponseFraming, boolean]>([
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', 'GET', 'chunked', true],
    [
      'gzip then chunked',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n',
      'GET',
      'chunked',
      true,
    ],
    [
      'a coding other than chunked last',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'GET',
      'close',
      false,
    ],
    ['no length', 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n', 'GET', 'close', false],
    ['an answer to HEAD', 'HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n', 'HEAD', 'none', true],
    ['204', 'HTTP/1.1 204 No Content\r\n\r\n', 'GET', 'none', true],
    ['304', 'HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n', 'GET', 'none', true],
    ['103 Early Hints', 'HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n', 'GET', 'none', true],
    [
      'Connection: close',
      'HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close\r\n\r\n',
      'GET',
      'length',
      false,
    ],
    ['HTTP/1.0', 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\n', 'GET', 'length', false],
    [
      'HTTP/1.0 keep-alive',
      'HTTP/1.0 200 OK\r\ncontent-length: 1\r\nconnection: keep-alive\r\n\r\n',
      'GET',
      'length',
      true,
    ],
  ])('frames %s', (_name, text, method, framing, reusable) => {
    const parsed = parse(text, method);
    expect(parsed.kind).toBe('head');
    if (parsed.kind === 'head') expect(parsed.head).toMatchObject({ framing, reusable });
  });

  it('takes an empty reason phrase, with or without the space', () => {
    expect(parse('HTTP/1.1 200 \r\n\r\n')).toMatchObject({ kind: 'head', head: { reason: '' } });
    expect(parse('HTTP/1.1 200\r\n\r\n')).toMatchObject({ kind: 'head', head: { reason: '' } });
  });

  it('reads a head that starts inside the buffer (after an interim answer)', () => {
    const interim = 'HTTP/1.1 103 Early Hints\r\n\r\n';
    const parsed = parse(`${interim}HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n`, 'GET', interim.length);
    expect(parsed).toMatchObject({ kind: 'head', head: { status: 200, headBytes: 38 } });
  });

  it('asks for more bytes at every cut', () => {
    const text = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n';
    for (let cut = 0; cut < text.length; cut++) expect(parse(text.slice(0, cut)).kind).toBe('incomplete');
  });

  it.each([
    ['not HTTP', 'HTTX/1.1 200 OK\r\n\r\n'],
    ['HTTP/2', 'HTTP/2.0 200 OK\r\n\r\n'],
    ['a short status', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a letter in the status', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['a control character in the reason', 'HTTP/1.1 200 O\x01K\r\n\r\n'],
    ['101 unasked', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['CL and TE', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n'],
    ['two lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\n'],
    // Node's client reads `chunked<TAB>` as not chunked, the RFC as chunked: the answer would end in two places.
    ['a tab in Transfer-Encoding', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\t\r\n\r\n'],
    ['a tab inside a Transfer-Encoding list', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip,\tchunked\r\n\r\n'],
    ['a signed length', 'HTTP/1.1 200 OK\r\ncontent-length: +3\r\n\r\n'],
    ['obs-fold', 'HTTP/1.1 200 OK\r\nx-a: b\r\n c\r\n\r\n'],
    ['bare LF', 'HTTP/1.1 200 OK\nx-a: b\r\n\r\n'],
    ['NUL in a value', 'HTTP/1.1 200 OK\r\nx-a: b\x00\r\n\r\n'],
    ['space before the colon', 'HTTP/1.1 200 OK\r\nx-a : b\r\n\r\n'],
    ['a head over 16 KiB', `HTTP/1.1 200 OK\r\nx-a: ${'b'.repeat(16 * 1024)}\r\n\r\n`],
  ])('refuses %s', (_name, text) => {
    expect(parse(text).kind).toBe('invalid');
  });
});
