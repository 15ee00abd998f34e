/**
 * Reading a TLS ClientHello before the TLS stack does (as nginx's ssl_preread): the server name (SNI) and the ALPN
 * protocols the client offers. Pure, over the bytes received so far.
 *
 * Why: a TLS-ALPN-01 validation (RFC 8737) must get the challenge's certificate, chosen by SNI *and* ALPN. Node
 * chooses the certificate in SNICallback, which for TLS 1.2 runs before ALPN is known (ALPNCallback comes after;
 * for TLS 1.3 the other way round), so the decision is made here, from the ClientHello itself.
 */

export interface ClientHelloInfo {
  /** The SNI host name as sent (ASCII); null when there is none. */
  serverName: string | null;
  /** The ALPN protocols offered, in order; null when the client sent no ALPN extension. */
  alpn: string[] | null;
}

export type ClientHelloRead =
  | { kind: 'hello'; hello: ClientHelloInfo }
  /** More bytes are needed. */
  | { kind: 'incomplete' }
  /** Not a TLS ClientHello this reader understands: the TLS stack decides what to do with it. */
  | { kind: 'other' };

/** A ClientHello longer than this is not read here (a real one is a few KiB at most). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const INCOMPLETE: ClientHelloRead = { kind: 'incomplete' };
const OTHER: ClientHelloRead = { kind: 'other' };

/**
 * Reads the ClientHello at the start of `buf` (TLS records as received: the hello may span several records and
 * arrive in several chunks).
 */
export function readClientHello(buf: Buffer): ClientHelloRead {
  const message = handshakeMessage(buf);
  if (message === 'incomplete') return INCOMPLETE;
  return message === 'other' ? OTHER : parseClientHello(message);
}

/** The first handshake message's bytes (type and length included), gathered from its records. */
function handshakeMessage(buf: Buffer): Buffer | 'incomplete' | 'other' {
  let p = 0;
  let gathered: Buffer | null = null;
  for (;;) {
    if (buf.length - p < 5) return buf.length > MAX_CLIENT_HELLO_BYTES ? 'other' : 'incomplete';
    if (buf[p] !== RECORD_HANDSHAKE || buf[p + 1] !== 0x03) return 'other';
    const length = buf.readUInt16BE(p + 3);
    if (length === 0) return 'other';
    if (buf.length - p - 5 < length) return buf.length > MAX_CLIENT_HELLO_BYTES ? 'other' : 'incomplete';
    const fragment = buf.subarray(p + 5, p + 5 + length);
    gathered = gathered === null ? fragment : Buffer.concat([gathered, fragment]);
    p += 5 + length;
    if (gathered.length >= 4) {
      if (gathered[0] !== HANDSHAKE_CLIENT_HELLO) return 'other';
      const total = 4 + gathered.readUIntBE(1, 3);
      if (total > MAX_CLIENT_HELLO_BYTES) return 'other';
      if (gathered.length >= total) return gathered.subarray(0, total);
    }
  }
}

/** The SNI and ALPN of a complete ClientHello message; `other` when it is malformed. */
function parseClientHello(msg: Buffer): ClientHelloRead {
  const end = msg.length;
  // type (1), length (3), legacy_version (2), random (32)
  let p = 4 + 2 + 32;
  if (p + 1 > end) return OTHER;
  p += 1 + (msg[p] as number); // legacy_session_id
  if (p + 2 > end) return OTHER;
  p += 2 + msg.readUInt16BE(p); // cipher_suites
  if (p + 1 > end) return OTHER;
  p += 1 + (msg[p] as number); // legacy_compression_methods
  if (p > end) return OTHER;
  const hello: ClientHelloInfo = { serverName: null, alpn: null };
  if (p === end) return { kind: 'hello', hello }; // no extensions at all
  if (p + 2 > end) return OTHER;
  const extensionsEnd = p + 2 + msg.readUInt16BE(p);
  if (extensionsEnd > end) return OTHER;
  p += 2;
  while (p < extensionsEnd) {
    if (p + 4 > extensionsEnd) return OTHER;
    const type = msg.readUInt16BE(p);
    const length = msg.readUInt16BE(p + 2);
    const data = p + 4;
    if (data + length > extensionsEnd) return OTHER;
    if (type === EXT_SERVER_NAME) {
      const name = serverNameOf(msg.subarray(data, data + length));
      if (name === undefined) return OTHER;
      hello.serverName = name;
    } else if (type === EXT_ALPN) {
      const alpn = alpnOf(msg.subarray(data, data + length));
      if (alpn === null) return OTHER;
      hello.alpn = alpn;
    }
    p = data + length;
  }
  return { kind: 'hello', hello };
}

/** RFC 6066 §3: the host_name entry of a server_name_list; undefined when malformed. */
function serverNameOf(ext: Buffer): string | null | undefined {
  if (ext.length < 2 || 2 + ext.readUInt16BE(0) !== ext.length) return undefined;
  let p = 2;
  let name: string | null = null;
  while (p < ext.length) {
    if (p + 3 > ext.length) return undefined;
    const type = ext[p] as number;
    const length = ext.readUInt16BE(p + 1);
    if (p + 3 + length > ext.length) return undefined;
    if (type === 0 && name === null) name = ext.toString('latin1', p + 3, p + 3 + length);
    p += 3 + length;
  }
  return name;
}

/** RFC 7301 §3.1: the protocol_name_list; null when malformed. */
function alpnOf(ext: Buffer): string[] | null {
  if (ext.length < 2 || 2 + ext.readUInt16BE(0) !== ext.length) return null;
  const protocols: string[] = [];
  let p = 2;
  while (p < ext.length) {
    const length = ext[p] as number;
    if (length === 0 || p + 1 + length > ext.length) return null;
    protocols.push(ext.toString('latin1', p + 1, p + 1 + length));
    p += 1 + length;
  }
  return protocols;
}
