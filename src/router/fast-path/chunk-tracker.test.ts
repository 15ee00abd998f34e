import { describe, expect, it } from 'vitest';
import { CHUNKED_INVALID, CHUNKED_MORE, ChunkTracker } from './chunk-tracker.js';

/** Where the body ends when fed in two pieces split at `cut`; CHUNKED_MORE or CHUNKED_INVALID otherwise. */
function endWhenSplit(bytes: Buffer, cut: number): number {
  const tracker = new ChunkTracker();
  const first = tracker.track(bytes.subarray(0, cut));
  if (first !== CHUNKED_MORE) return first;
  const second = tracker.track(bytes.subarray(cut));
  return second < 0 ? second : cut + second;
}

const valid: [string, string][] = [
  ['one chunk', '5\r\nhello\r\n0\r\n\r\n'],
  ['several chunks, hex sizes', 'a\r\n0123456789\r\nA\r\nabcdefghij\r\n1\r\n!\r\n0\r\n\r\n'],
  ['extensions', '5;name=value;flag\r\nhello\r\n0;last\r\n\r\n'],
  ['quoted extension values', '5;a="b c";d="e\\"f";g=\r\nhello\r\n0;=x\r\n\r\n'],
  ['trailers', '5\r\nhello\r\n0\r\nx-checksum: abc\r\nx-other: d\r\n\r\n'],
  [
    'a trailer named like a framing field but longer',
    '0\r\nContent-Length-X: 5\r\nTransfer-Encodings: a\r\n\r\n',
  ],
  ['data that looks like framing', '7\r\n0\r\n\r\n\r\n\r\n0\r\n\r\n'],
  ['an empty body', '0\r\n\r\n'],
];

const invalid: [string, string][] = [
  ['a size that is not hex', 'g\r\nhello\r\n0\r\n\r\n'],
  ['no size', '\r\nhello\r\n0\r\n\r\n'],
  ['a missing CRLF after data', '5\r\nhelloX\r\n0\r\n\r\n'],
  ['a bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
  ['a size too large', 'fffffffffffffff\r\n'],
  ['a folded trailer', '0\r\nx-a: b\r\n c\r\n\r\n'],
  ['a control character in an extension', '5;a\x01\r\nhello\r\n0\r\n\r\n'],
  ['a sign', '+5\r\nhello\r\n0\r\n\r\n'],
  // Node's parser refuses whitespace around sizes and extensions; a client behind the router would too.
  ['whitespace after the size', '5 \r\nhello\r\n0\r\n\r\n'],
  ['whitespace before an extension', '5 ;x=1\r\nhello\r\n0\r\n\r\n'],
  ['whitespace after an extension', '5;x \r\nhello\r\n0\r\n\r\n'],
  ['whitespace around =', '5;x =1\r\nhello\r\n0\r\n\r\n'],
  ['two values', '5;x=1=2\r\nhello\r\n0\r\n\r\n'],
  ['an unterminated quoted value', '5;x="1\r\nhello\r\n0\r\n\r\n'],
  // Node's client refuses these trailers; relayed, they would make a client read the answer another way.
  ['a Content-Length trailer', '0\r\nContent-Length: 5\r\n\r\n'],
  ['a content-length trailer after another', '0\r\nx: 1\r\ncontent-length: 0\r\n\r\n'],
  ['a Transfer-Encoding trailer', '0\r\nTRANSFER-ENCODING: chunked\r\n\r\n'],
  ['a trailer line without a colon', '0\r\nbad line\r\n\r\n'],
  ['whitespace before a trailer colon', '0\r\nx : 1\r\n\r\n'],
  ['a control character in a trailer value', '0\r\nx: \x01\r\n\r\n'],
];

describe('ChunkTracker', () => {
  it.each(valid)('finds the end of %s at every split', (_name, text) => {
    const body = Buffer.from(text, 'latin1');
    const bytes = Buffer.concat([body, Buffer.from('HTTP/1.1 200 OK\r\n', 'latin1')]); // what follows is not read
    for (let cut = 0; cut <= bytes.length; cut++) expect(endWhenSplit(bytes, cut)).toBe(body.length);
  });

  it.each(valid)('waits for more bytes when %s is cut short', (_name, text) => {
    const body = Buffer.from(text, 'latin1');
    for (let end = 0; end < body.length; end++) {
      const tracker = new ChunkTracker();
      expect(tracker.track(body.subarray(0, end))).toBe(CHUNKED_MORE);
      expect(tracker.done).toBe(false);
    }
  });

  it('finds the end byte by byte', () => {
    const body = Buffer.from('3;x\r\nabc\r\n0\r\nt: 1\r\n\r\n', 'latin1');
    const tracker = new ChunkTracker();
    for (let i = 0; i < body.length - 1; i++)
      expect(tracker.track(body.subarray(i, i + 1))).toBe(CHUNKED_MORE);
    expect(tracker.track(body.subarray(body.length - 1))).toBe(1);
    expect(tracker.done).toBe(true);
  });

  it.each(invalid)('refuses %s at every split', (_name, text) => {
    const bytes = Buffer.from(text, 'latin1');
    for (let cut = 0; cut <= bytes.length; cut++) expect(endWhenSplit(bytes, cut)).toBe(CHUNKED_INVALID);
  });

  it('reads from an offset', () => {
    const bytes = Buffer.from('HEAD1\r\n0\r\n\r\n', 'latin1');
    expect(new ChunkTracker().track(bytes, 7)).toBe(bytes.length);
  });
});
