import { STATUS_CODES } from 'node:http';
import { currentHttpDate } from './http-date.js';

/**
 * A complete answer written by the router itself (503 without a target, 502, 431, 408, a redirect, an ACME
 * challenge's answer), plain text unless `contentType` says otherwise. An answer to
 * HEAD has the same head and no body (RFC 9110 §9.3.2): the client reads none, and bytes sent anyway would be
 * read as the next answer.
 */
export function formatShortAnswer(
  status: number,
  body: string,
  close: boolean,
  method = 'GET',
  /** Further field lines, each ending with CRLF (a redirect's Location, HSTS on a TLS listener). */
  extraFields = '',
  contentType = 'text/plain; charset=utf-8',
): string {
  // Written as latin1 (one byte per character): the body's UTF-8 bytes, one character each.
  const bytes = Buffer.from(body, 'utf8');
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `date: ${currentHttpDate()}\r\n${extraFields}content-type: ${contentType}\r\ncontent-length: ${bytes.length}\r\n` +
    (close ? 'connection: close\r\n\r\n' : 'connection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n') +
    (method === 'HEAD' ? '' : bytes.toString('latin1'))
  );
}
