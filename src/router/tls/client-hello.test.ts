import { createServer, type AddressInfo } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClientHello } from './client-hello.js';

/** The first bytes a real node:tls client sends: its ClientHello, as records on the wire. */
let port: number;
const server = createServer();
const received: ((chunk: Buffer) => void)[] = [];
beforeAll(async () => {
  server.on('connection', (socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // a record header, then the record: the whole hello once its length has arrived
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        received.shift()?.(buf);
        socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function helloOf(opts: ConnectionOptions): Promise<Buffer> {
  const hello = new Promise<Buffer>((resolve) => received.push(resolve));
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
  socket.on('error', () => undefined);
  return hello;
}

describe('readClientHello', () => {
  it.each([
    [{ servername: 'shop.test', ALPNProtocols: ['acme-tls/1'] }, 'shop.test', ['acme-tls/1']],
    [
      { servername: 'www.shop.test', ALPNProtocols: ['h2', 'http/1.1'], maxVersion: 'TLSv1.2' as const },
      'www.shop.test',
      ['h2', 'http/1.1'],
    ],
    [{ servername: 'shop.test' }, 'shop.test', null],
    [{ ALPNProtocols: ['http/1.1'] }, null, ['http/1.1']],
  ])('reads SNI and ALPN of a real ClientHello (%j)', async (opts, serverName, alpn) => {
    const hello = await helloOf(opts);
    expect(readClientHello(hello)).toEqual({ kind: 'hello', hello: { serverName, alpn } });
    // Byte by byte, it is incomplete until the last byte arrives.
    for (const end of [0, 1, 4, 5, 6, 43, hello.length - 1]) {
      expect(readClientHello(hello.subarray(0, end))).toEqual({ kind: 'incomplete' });
    }
  });

  it('gathers a ClientHello split over several records', async () => {
    const hello = await helloOf({ servername: 'split.test', ALPNProtocols: ['acme-tls/1'] });
    const message = hello.subarray(5);
    const record = (part: Buffer): Buffer =>
      Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
    const split = Buffer.concat([
      record(message.subarray(0, 3)),
      record(message.subarray(3, 100)),
      record(message.subarray(100)),
    ]);
    expect(readClientHello(split)).toEqual({
      kind: 'hello',
      hello: { serverName: 'split.test', alpn: ['acme-tls/1'] },
    });
    expect(readClientHello(split.subarray(0, split.length - 1))).toEqual({ kind: 'incomplete' });
  });

  it('leaves anything else to the TLS stack', async () => {
    const hello = await helloOf({ servername: 'shop.test', ALPNProtocols: ['acme-tls/1'] });
    const other = { kind: 'other' };
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n'))).toEqual(other);
    expect(readClientHello(Buffer.from([0x80, 0x2e, 0x01, 0x03, 0x01]))).toEqual(other); // SSLv2-style hello
    expect(readClientHello(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]))).toEqual(other); // an alert
    expect(readClientHello(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x00]))).toEqual(other); // an empty record
    // A handshake message that is no ClientHello
    const notHello = Buffer.from(hello);
    notHello[5] = 0x02;
    expect(readClientHello(notHello)).toEqual(other);
    // A message that claims more than its records and extensions hold
    const truncated = Buffer.from(hello);
    truncated.writeUInt16BE(truncated.readUInt16BE(3) - 10, 3); // the record ends 10 bytes early …
    truncated.writeUIntBE(truncated.readUIntBE(6, 3) - 10, 6, 3); // … and so does the message
    expect(readClientHello(truncated.subarray(0, truncated.length - 10))).toEqual(other);
    // A ClientHello that says it is longer than one may be: not waited for
    const huge = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x02, 0x00, 0x00]);
    expect(readClientHello(huge)).toEqual(other);
  });
});
