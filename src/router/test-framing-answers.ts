/**
 * Test-only: fast-check arbitraries for the answers an app writes behind the router: status lines right and wrong,
 * interim answers, framing headers in every spelling and combination, overrun bytes. The request grammar and the
 * pieces both share are in test-framing-grammar.ts.
 */
import fc from 'fast-check';
import {
  CHUNKED,
  CONNECTION_VALUE,
  CONTENT_LENGTH_NAME,
  EOL,
  FRAMING,
  TE_VALUE,
  TRANSFER_ENCODING_NAME,
  contentLengthValue,
} from './test-framing-grammar.js';

const STATUS_LINE = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.constantFrom('HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found', 'HTTP/1.1 500 Oops'),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'HTTP/1.0 200 OK',
      'HTTP/1.1 204 No Content',
      'HTTP/1.1 304 Not Modified',
      'HTTP/1.1 200',
      'HTTP/1.1 200 ',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('HTTP/1.1 20 OK', 'HTTP/2 200 OK', 'HTTP/1.1 200 O\x00K', 'XTTP/1.1 200 OK'),
  },
);
const INTERIM = fc.constantFrom(
  '',
  '',
  '',
  '',
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n',
);
const ANSWER_HEADER = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(
      fc.constantFrom('Content-Type', 'Set-Cookie', 'X-A', 'Date'),
      fc.constantFrom('v', 'a=1'),
    ),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constant('Connection'), CONNECTION_VALUE) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Keep-Alive', 'Trailer', 'Upgrade'), fc.constant('x')) },
  {
    weight: 1,
    arbitrary: fc.tuple(
      fc.constantFrom('X-A', 'Content-Length'),
      fc.constantFrom('a\r\n b', 'a\x00b', 'a\nb'),
    ),
  },
);

export interface ScriptedAnswer {
  bytes: Buffer;
  /** The app closes its socket after the bytes (needed to end a close-delimited answer). */
  close: boolean;
}

/** One answer as an app might write it, with framing mostly right and sometimes wrong, plus overrun bytes. */
export const ANSWER = fc
  .record({
    interim: INTERIM,
    status: STATUS_LINE,
    eol: EOL,
    headers: fc.array(ANSWER_HEADER, { maxLength: 3 }),
    framing: FRAMING,
    body: fc.constantFrom('', 'ok', 'hello world', 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nspoofed'),
    chunked: CHUNKED,
    teValue: TE_VALUE,
    clName: CONTENT_LENGTH_NAME,
    teName: TRANSFER_ENCODING_NAME,
    positions: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
    overrun: fc.constantFrom('', '', '', '', 'X', 'HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nspoofed'),
    close: fc.boolean(),
  })
  .chain((r) =>
    contentLengthValue(
      r.framing === 'chunked' || r.framing === 'both' ? r.chunked.length : r.body.length,
    ).map((cl) => ({ ...r, cl })),
  )
  .map((r): ScriptedAnswer => {
    const fields: [string, string][] = r.headers.map(([n, v]) => [n, v]);
    const insert = (field: [string, string], at: number): void => {
      fields.splice(at % (fields.length + 1), 0, field);
    };
    let body: string = r.body;
    switch (r.framing) {
      case 'length':
        insert([r.clName, r.cl], r.positions[0] ?? 0);
        break;
      case 'two-lengths':
        insert([r.clName, r.cl], r.positions[0] ?? 0);
        insert(['Content-Length', String(r.body.length)], r.positions[1] ?? 0);
        break;
      case 'chunked':
      case 'two-codings':
        insert([r.teName, r.teValue], r.positions[0] ?? 0);
        if (r.framing === 'two-codings') insert(['Transfer-Encoding', 'chunked'], r.positions[1] ?? 0);
        body = r.chunked;
        break;
      case 'both':
        insert([r.teName, r.teValue], r.positions[0] ?? 0);
        insert([r.clName, r.cl], r.positions[1] ?? 0);
        body = r.chunked;
        break;
      case 'none':
        break;
    }
    let head = `${r.interim}${r.status}${r.eol}`;
    for (const [name, value] of fields) head += `${name}: ${value}${r.eol}`;
    // Without framing an answer is read until close: the app must close for it to end.
    return {
      bytes: Buffer.from(`${head}${r.eol}${body}${r.overrun}`, 'latin1'),
      close: r.close || r.framing === 'none',
    };
  });
