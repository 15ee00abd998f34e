import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConflictError,
  DiskFullError,
  HostCommandError,
  LockHeldError,
  InputError,
  NotFoundError,
  SlipwayError,
  StoreBusyError,
  UnknownNameError,
} from '../core/errors.js';
import { HttpError, mapError } from './map-error.js';
import { securityHeaders } from './security-headers.js';

describe('mapError', () => {
  const table: Array<[string, unknown, number]> = [
    ['HttpError', new HttpError(403, 'no'), 403],
    ['NotFoundError', new NotFoundError('gone'), 404],
    ['LockHeldError', new LockHeldError('production', 'alice', 'now', 'd1'), 409],
    ['ConflictError', new ConflictError('twice'), 409],
    ['ConfigError', new ConfigError([{ path: 'x', message: 'bad' }]), 400],
    ['SlipwayError', new SlipwayError('bad input', { hint: 'fix it' }), 400],
    ['HostCommandError', new HostCommandError('h', ['ls'], 1, ''), 400],
    ['StoreBusyError', new StoreBusyError('/srv/.slipway/slipway.db', 5000), 503],
    ['DiskFullError', new DiskFullError('/srv/.slipway/slipway.db'), 503],
  ];
  it.each(table)('%s → %i with its message and hint', (_name, err, status) => {
    const mapped = mapError(err);
    expect(mapped.status).toBe(status);
    expect(mapped.body.error).toBe((err as Error).message);
    expect(mapped.unexpected).toBe(false);
  });

  it('marks bad input (a name that is not there, an unusable value), so that the CLI exits 2 as it does locally', () => {
    expect(mapError(new UnknownNameError('no environment named "nope" in slipway.yml'))).toMatchObject({
      status: 404,
      body: { error: 'no environment named "nope" in slipway.yml', badInput: true },
    });
    expect(mapError(new InputError('--at "soon" is not a time')).body.badInput).toBe(true);
    expect(mapError(new ConfigError([{ path: 'x', message: 'bad' }])).body.badInput).toBe(true);
    expect(mapError(new NotFoundError('there are no releases of hello yet')).body).not.toHaveProperty(
      'badInput',
    );
  });

  it('keeps the hint, and leaves it out when there is none', () => {
    expect(mapError(new SlipwayError('bad input', { hint: 'fix it' })).body).toEqual({
      error: 'bad input',
      hint: 'fix it',
    });
    expect(mapError(new NotFoundError('gone')).body).toEqual({ error: 'gone' });
  });

  it('answers anything else with a generic 500 that leaks nothing', () => {
    const mapped = mapError(new Error('ECONNREFUSED /var/lib/secret/path'));
    expect(mapped).toEqual({
      status: 500,
      body: { error: 'internal error', hint: "the server's log has the details" },
      unexpected: true,
    });
  });
});

describe('securityHeaders', () => {
  it('sets the policy everywhere, no-store on the API, HSTS only over https', () => {
    const page = securityHeaders({ https: false, api: false });
    expect(page['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(page['X-Frame-Options']).toBe('DENY');
    expect(page['Cache-Control']).toBeUndefined();
    expect(page['Strict-Transport-Security']).toBeUndefined();
    expect(securityHeaders({ https: false, api: true })['Cache-Control']).toBe('no-store');
    expect(securityHeaders({ https: true, api: false })['Strict-Transport-Security']).toMatch(/max-age=\d+/);
  });
});
