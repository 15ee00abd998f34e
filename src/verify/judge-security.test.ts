import { describe, expect, it } from 'vitest';
import { parseProcNetTcpListeners, parseSsListeners } from '../hosts/host-facts.js';
import { checkHeaders } from './check-headers.js';
import {
  isLoopbackAddress,
  judgeForbiddenPath,
  judgeListeners,
  judgeTls,
  type TlsObservation,
} from './judge-security.js';

describe('checkHeaders', () => {
  const actual = { 'X-Content-Type-Options': 'nosniff', 'strict-transport-security': 'max-age=63072000' };
  it.each([
    [{ 'x-content-type-options': 'nosniff' }, []],
    [{ 'Strict-Transport-Security': 'max-age=' }, []],
    [{ 'X-Frame-Options': '' }, ['header X-Frame-Options is missing']],
    [
      { 'X-Content-Type-Options': 'sniff-me' },
      ['header X-Content-Type-Options is "nosniff", expected it to contain "sniff-me"'],
    ],
    [{}, []],
  ])('%j', (required, problems) => {
    expect(checkHeaders(required, actual)).toEqual(problems);
  });
});

describe('judgeForbiddenPath', () => {
  it.each([
    [200, 'served with 200'],
    [204, 'served with 204'],
    [301, null],
    [403, null],
    [404, null],
    [500, null],
  ])('%s → %s', (status, problem) => {
    expect(judgeForbiddenPath(status)).toBe(problem);
  });
});

describe('judgeTls', () => {
  const NOW = Date.UTC(2026, 10, 26);
  const DAY = 86_400_000;
  const good: TlsObservation = {
    protocol: 'TLSv1.3',
    authorized: true,
    authorizationError: null,
    validFromMs: NOW - 30 * DAY,
    validToMs: NOW + 60 * DAY,
    name: 'shop.test',
    coversName: true,
    certificateNames: 'DNS:shop.test, DNS:www.shop.test',
  };
  const rules = { minDaysValid: 14, minVersion: 'TLSv1.2' as const };
  it.each<[string, Partial<TlsObservation>, string[]]>([
    ['valid, trusted, TLS 1.3', {}, []],
    ['TLS 1.2 is enough', { protocol: 'TLSv1.2' }, []],
    ['TLS 1.1 is too old', { protocol: 'TLSv1.1' }, ['protocol TLSv1.1 is below TLSv1.2']],
    [
      'expires within the margin',
      { validToMs: NOW + 5 * DAY },
      ['certificate expires in 5 days (at least 14 required)'],
    ],
    ['one day left', { validToMs: NOW + DAY + 1 }, ['certificate expires in 1 day (at least 14 required)']],
    ['expired', { validToMs: NOW - DAY }, ['certificate has expired']],
    ['not valid yet', { validFromMs: NOW + DAY }, ['certificate is not valid yet']],
    [
      'self-signed',
      { authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      ['certificate not trusted: DEPTH_ZERO_SELF_SIGNED_CERT'],
    ],
    [
      'a trusted certificate for other names: said once',
      { coversName: false, authorized: false, authorizationError: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      ['certificate does not cover shop.test (it is for DNS:shop.test, DNS:www.shop.test)'],
    ],
    [
      'an untrusted certificate for other names: both',
      {
        coversName: false,
        certificateNames: '',
        authorized: false,
        authorizationError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      },
      [
        'certificate does not cover shop.test (it is for no subjectAltName)',
        'certificate not trusted: UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      ],
    ],
  ])('%s', (_name, o, problems) => {
    expect(judgeTls({ ...good, ...o }, NOW, rules)).toEqual(problems);
  });
});

describe('listening ports', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.53%lo', true],
    ['[::1]', true],
    ['[::ffff:127.0.0.1]', true],
    ['0100007F', true],
    ['00000000000000000000000001000000', true],
    ['0000000000000000FFFF00000100007F', true],
    ['0.0.0.0', false],
    ['*', false],
    ['[::]', false],
    ['00000000', false],
    ['0B00000A', false],
  ])('%s is loopback: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });

  it('fails ports beyond loopback that are not allowed (from ss)', () => {
    const ss = [
      'LISTEN 0 511 0.0.0.0:8420 0.0.0.0:*',
      'LISTEN 0 128 0.0.0.0:22 0.0.0.0:*',
      'LISTEN 0 128 [::]:22 [::]:*',
      'LISTEN 0 511 127.0.0.1:41234 0.0.0.0:*',
      'LISTEN 0 511 *:9000 *:*',
      'LISTEN 0 511 10.0.0.5:5432 0.0.0.0:*',
    ].join('\n');
    expect(judgeListeners(parseSsListeners(ss), [22, 8420])).toEqual([
      'port 5432 (10.0.0.5)',
      'port 9000 (*)',
    ]);
    expect(judgeListeners(parseSsListeners(ss), [22, 8420, 9000, 5432])).toEqual([]);
  });

  it('reads the kernel table too (hex, host byte order)', () => {
    const proc = [
      '  sl  local_address rem_address   st',
      '   0: 0100007F:A0E2 00000000:0000 0A',
      '   1: 00000000:20E4 00000000:0000 0A',
      '   2: 00000000:0016 00000000:0000 0A',
      '   3: 0100007F:0050 0200007F:1234 01',
    ].join('\n');
    expect(judgeListeners(parseProcNetTcpListeners(proc), [22])).toEqual(['port 8420 (00000000)']);
  });
});
