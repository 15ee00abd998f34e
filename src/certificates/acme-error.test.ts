import { describe, expect, it } from 'vitest';
import { directoryUrlOf } from './acme-ca.js';
import { acmeError, kindOfProblem, type AcmeFailureKind } from './acme-error.js';
import type { AcmeProblem } from './acme-lib.js';

const problem = (type: string, detail = '', extra: Partial<AcmeProblem> = {}): AcmeProblem => ({
  type: `urn:ietf:params:acme:error:${type}`,
  detail,
  status: 400,
  subproblems: [],
  retryAfter: null,
  ...extra,
});

describe('what failed, from the CA problem', () => {
  it.each<[string, string, boolean, AcmeFailureKind]>([
    ['rateLimited', 'too many certificates', false, 'rate-limit'],
    ['dns', 'NXDOMAIN looking up A for shop.example.com', true, 'dns'],
    ['connection', 'could not resolve URL "http://broken.test/…"', true, 'dns'],
    ['connection', 'dial tcp 203.0.113.1:80: connect: connection refused', true, 'challenge'],
    ['unauthorized', 'The key authorization file from the server did not match', true, 'challenge'],
    ['unauthorized', 'account is not valid', false, 'account'],
    ['incorrectResponse', '', true, 'challenge'],
    ['tls', 'remote error: tls: handshake failure', true, 'challenge'],
    ['rejectedIdentifier', 'Invalid identifiers requested', false, 'rejected-name'],
    ['caa', 'CAA record forbids issuance', true, 'rejected-name'],
    ['externalAccountRequired', '', false, 'account'],
    ['serverInternal', 'oops', false, 'ca'],
  ])('%s (%s)', (type, detail, duringChallenge, kind) => {
    expect(kindOfProblem(problem(type, detail), duringChallenge)).toBe(kind);
  });

  it('says what was done, what failed and the CA detail; a rate limit says until when', () => {
    const err = acmeError(
      'placing the order for shop.example.com',
      ['shop.example.com'],
      new Error('too many certificates'),
      problem('rateLimited', 'too many certificates (5) already issued for this exact set of identifiers', {
        status: 429,
        retryAfter: '3600',
      }),
    );
    expect(err.kind).toBe('rate-limit');
    expect(err.message).toBe(
      'placing the order for shop.example.com failed: rate limited by the CA: too many certificates (5) already issued for this exact set of identifiers (rateLimited, HTTP 429); retry after 3600',
    );
    expect(err.hint).toMatch(/staging/);
  });

  it('names each rejected name from the subproblems', () => {
    const err = acmeError(
      'placing the order for a.test, b..test',
      ['a.test', 'b..test'],
      new Error('x'),
      problem('rejectedIdentifier', 'Invalid identifiers', {
        subproblems: [
          { type: 'urn:ietf:params:acme:error:malformed', detail: 'bad name', identifier: 'b..test' },
        ],
      }),
    );
    expect(err.message).toMatch(/\[b\.\.test: bad name \(malformed\)\]/);
  });

  it('a CA not reached: unreachable, with the code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = acmeError('registering the ACME account at https://127.0.0.1:1/dir', [], cause, null);
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/CA not reachable: connect ECONNREFUSED/);
  });
});

describe('directoryUrlOf', () => {
  it('names Let’s Encrypt, takes any https URL, refuses the rest', () => {
    expect(directoryUrlOf('letsencrypt')).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(directoryUrlOf('letsencrypt-staging')).toBe(
      'https://acme-staging-v02.api.letsencrypt.org/directory',
    );
    expect(directoryUrlOf('https://ca.internal:9000/acme/acme/directory')).toBe(
      'https://ca.internal:9000/acme/acme/directory',
    );
    expect(() => directoryUrlOf('http://ca.internal/directory')).toThrow(/must be an https:\/\/ URL/);
    expect(() => directoryUrlOf('letsencrypt-prod')).toThrow(/unknown ACME directory "letsencrypt-prod"/);
  });
});
