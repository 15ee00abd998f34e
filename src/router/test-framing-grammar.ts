/**
 * Test-only: fast-check arbitraries for HTTP/1.x request bytes (answers: test-framing-answers.ts), from a grammar that leans towards the
 * places where parsers disagree: framing headers (Content-Length, Transfer-Encoding) in every spelling, case,
 * count and combination, Connection lists that name them, obs-fold, bare LF and CR, NUL, chunk sizes, extensions
 * and trailers, absolute-form and `*` targets, Expect, Upgrade, and several messages on one connection.
 */
import fc from 'fast-check';

export const EOL = fc.oneof(
  { weight: 30, arbitrary: fc.constant('\r\n') },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n', '\n\r') },
);

export const CONTENT_LENGTH_NAME = fc.constantFrom(
  'Content-Length',
  'content-length',
  'CONTENT-LENGTH',
  'Content-Length ',
  ' Content-Length',
  'Content_Length',
  'Content-Length\t',
);
export const TRANSFER_ENCODING_NAME = fc.constantFrom(
  'Transfer-Encoding',
  'transfer-encoding',
  'TRANSFER-ENCODING',
  'Transfer-Encoding ',
  'Transfer_Encoding',
  ' Transfer-Encoding',
);
export const TE_VALUE = fc.constantFrom(
  'chunked',
  'Chunked',
  'CHUNKED',
  ' chunked',
  'chunked ',
  'chunked\t',
  'gzip, chunked',
  'chunked, gzip',
  'chunked, chunked',
  'identity',
  'identity, chunked',
  'xchunked',
  'chunked;q=1',
  '"chunked"',
  'chunked,',
  ',chunked',
  '\tchunked',
  'chunk',
  '',
);
export const CONNECTION_VALUE = fc.constantFrom(
  'close',
  'keep-alive',
  'Keep-Alive',
  'content-length',
  'Content-Length',
  'keep-alive, Content-Length',
  'Content-Length, keep-alive',
  'close, content-length',
  'CONTENT-LENGTH',
  'transfer-encoding',
  'Transfer-Encoding, content-length',
  'host',
  'Host, keep-alive',
  'upgrade',
  'Upgrade, content-length',
  'x-a',
  'x-a, content-length, close',
  'te',
  ',,content-length,,',
);

/** A Content-Length value for a body of `length` bytes: mostly right, sometimes wrong or malformed. */
export function contentLengthValue(length: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(String(length)) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        `0${length}`,
        ` ${length}`,
        `${length} `,
        `${length}, ${length}`,
        `${length},${length}`,
        `${length}, ${length + 1}`,
        `+${length}`,
        `-${length}`,
        `0x${length.toString(16)}`,
        `${length}.0`,
        `${length}e0`,
        '18446744073709551617',
        '99999999999999999999999',
        '',
        'abc',
      ),
    },
    { weight: 2, arbitrary: fc.nat(80).map(String) },
  );
}

const TOKEN_METHOD = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'PATCH') },
  { weight: 1, arbitrary: fc.constantFrom('get', 'FOO', 'CONNECT', 'TRACE', 'G\tET', 'GET ') },
);
const TARGET = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('/', '/a', '/a/b?c=d&e', '/%2e%2e/x', '//x') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '*',
      'http://evil.example/x',
      'HTTP://evil.example',
      'https://evil.example:8443/y?z',
      'http://user@evil.example/',
      'ftp://evil.example/',
      'evil.example:443',
      'x',
      '/a b',
      '/\x00',
      '/\x7f',
    ),
  },
);
const VERSION = fc.oneof(
  { weight: 12, arbitrary: fc.constant('HTTP/1.1') },
  {
    weight: 1,
    arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/01.1'),
  },
);
const SEPARATOR = fc.oneof(
  { weight: 12, arbitrary: fc.constant(': ') },
  { weight: 2, arbitrary: fc.constantFrom(':', ':\t', ':  ') },
  { weight: 1, arbitrary: fc.constantFrom(' : ', ':\x00') },
);
const ORDINARY_HEADER = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.constantFrom('X-A', 'Accept', 'Cookie', 'User-Agent'),
      fc.constantFrom('v', '', 'a, b'),
    ),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constant('Connection'), CONNECTION_VALUE) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constant('Expect'), fc.constantFrom('100-continue', '100-Continue', 'foo')),
  },
  { weight: 1, arbitrary: fc.tuple(fc.constant('Upgrade'), fc.constantFrom('websocket', 'h2c')) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('Keep-Alive', 'TE', 'Trailer', 'Proxy-Connection'), fc.constant('x')),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('X-A', 'Host', 'Content-Length'),
      fc.constantFrom('a\r\n b', 'a\n b', 'a\x00b', 'a\rb', 'a\tb', '\x7f'),
    ),
  },
);

/** A chunked body's bytes for `data`, split into chunks with optional extensions and trailers. */
export const CHUNKED = fc
  .record({
    sizes: fc.array(fc.nat(6), { maxLength: 3 }),
    sizeStyle: fc.constantFrom('hex', 'HEX', 'pad', 'pad', 'hex', 'hex', '0x', 'space'),
    extension: fc.constantFrom('', '', '', ';a=b', ';a="b"', ' ;a', ';\x00'),
    trailer: fc.constantFrom('', '', '', 'X-T: 1\r\n', 'Content-Length: 5\r\n', 'X-T: 1\n'),
    lastSize: fc.constantFrom('0', '0', '0', '00', '0 ', ''),
    eol: EOL,
    fill: fc.constantFrom('a', 'b', 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'),
  })
  .map(({ sizes, sizeStyle, extension, trailer, lastSize, eol, fill }) => {
    let out = '';
    for (const size of sizes) {
      const n = size + 1;
      const hex = n.toString(16);
      const sizeText =
        sizeStyle === 'HEX'
          ? hex.toUpperCase()
          : sizeStyle === 'pad'
            ? `00${hex}`
            : sizeStyle === '0x'
              ? `0x${hex}`
              : sizeStyle === 'space'
                ? `${hex} `
                : hex;
      out += `${sizeText}${extension}${eol}${fill.repeat(n).slice(0, n)}\r\n`;
    }
    return `${out}${lastSize}${eol}${trailer}\r\n`;
  });

const BODY = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('', 'abc', 'hello world') },
  { weight: 3, arbitrary: fc.constant('GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n') },
  { weight: 1, arbitrary: fc.constant('POST /smuggled HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

type Framing = 'none' | 'length' | 'chunked' | 'both' | 'two-lengths' | 'two-codings';

export const FRAMING = fc.constantFrom<Framing>(
  'none',
  'none',
  'length',
  'length',
  'length',
  'chunked',
  'chunked',
  'both',
  'two-lengths',
  'two-codings',
);

/** One request: start line, headers (Host mostly once), framing headers placed among them, body. */
export const REQUEST = fc
  .record({
    method: TOKEN_METHOD,
    target: TARGET,
    version: VERSION,
    eol: EOL,
    hosts: fc.oneof(
      { weight: 10, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(0, 2) },
    ),
    headers: fc.array(ORDINARY_HEADER, { maxLength: 4 }),
    separators: fc.array(SEPARATOR, { minLength: 8, maxLength: 8 }),
    framing: FRAMING,
    body: BODY,
    chunked: CHUNKED,
    teValue: TE_VALUE,
    clName: CONTENT_LENGTH_NAME,
    teName: TRANSFER_ENCODING_NAME,
    clSeed: fc.nat(),
    positions: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
  })
  .chain((r) =>
    contentLengthValue(
      r.framing === 'chunked' || r.framing === 'both' ? r.chunked.length : r.body.length,
    ).map((cl) => ({ ...r, cl })),
  )
  .map((r) => {
    const fields: [string, string][] = r.headers.map(([n, v]) => [n, v]);
    const insert = (field: [string, string], at: number): void => {
      fields.splice(at % (fields.length + 1), 0, field);
    };
    for (let i = 0; i < r.hosts; i++)
      insert(['Host', i === 0 ? 'app.example' : 'other.example'], r.positions[0] ?? 0);
    let body = '';
    switch (r.framing) {
      case 'length':
        insert([r.clName, r.cl], r.positions[1] ?? 0);
        body = r.body;
        break;
      case 'two-lengths':
        insert([r.clName, r.cl], r.positions[1] ?? 0);
        insert(['Content-Length', String(r.body.length)], r.positions[2] ?? 0);
        body = r.body;
        break;
      case 'chunked':
        insert([r.teName, r.teValue], r.positions[1] ?? 0);
        body = r.chunked;
        break;
      case 'two-codings':
        insert([r.teName, r.teValue], r.positions[1] ?? 0);
        insert(['Transfer-Encoding', 'chunked'], r.positions[2] ?? 0);
        body = r.chunked;
        break;
      case 'both':
        insert([r.teName, r.teValue], r.positions[1] ?? 0);
        insert([r.clName, r.cl], r.positions[2] ?? 0);
        body = r.chunked;
        break;
      case 'none':
        body = r.clSeed % 4 === 0 ? r.body : '';
        break;
    }
    let head = `${r.method} ${r.target} ${r.version}${r.eol}`;
    fields.forEach(([name, value], i) => {
      head += `${name}${r.separators[i % r.separators.length] ?? ': '}${value}${r.eol}`;
    });
    return `${head}${r.eol}${body}`;
  });

/** One to three requests on one connection. */
export const REQUEST_STREAM = fc
  .array(REQUEST, { minLength: 1, maxLength: 3 })
  .map((requests) => Buffer.from(requests.join(''), 'latin1'));
