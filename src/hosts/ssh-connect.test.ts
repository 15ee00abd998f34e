import { describe, expect, it } from 'vitest';
import { describeConnectError, preferredHostKeyAlgorithms, resolveIdentityFile } from './ssh-connect.js';
import { HostAuthError, HostUnreachableError } from './ssh-errors.js';

const endpoint = { name: 'web-1', address: '10.0.0.5', port: 22, user: 'deploy' };

function sshError(message: string, fields: { level?: string; code?: string }): Error {
  return Object.assign(new Error(message), fields);
}

describe('ssh connection helpers', () => {
  it('asks for key types known for the host first', () => {
    expect(preferredHostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
    const rsaFirst = preferredHostKeyAlgorithms(['ssh-rsa']);
    expect(rsaFirst.slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(new Set(rsaFirst).size).toBe(rsaFirst.length);
    expect(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256', 'unknown-type'])[0]).toBe(
      'ecdsa-sha2-nistp256',
    );
  });

  it('resolves identity files from ~ and from the project directory', () => {
    expect(resolveIdentityFile('~/.ssh/id_ed25519', '/proj', '/home/me')).toBe('/home/me/.ssh/id_ed25519');
    expect(resolveIdentityFile('keys/deploy', '/proj', '/home/me')).toBe('/proj/keys/deploy');
    expect(resolveIdentityFile('/etc/key', '/proj', '/home/me')).toBe('/etc/key');
  });

  it('turns SSH errors into one clear line', () => {
    const refused = describeConnectError(
      sshError('connect ECONNREFUSED 10.0.0.5:22', { level: 'client-socket', code: 'ECONNREFUSED' }),
      endpoint,
      'key /k',
      10_000,
    );
    expect(refused).toBeInstanceOf(HostUnreachableError);
    expect(refused.message).toBe('cannot reach web-1 (10.0.0.5:22): connection refused (ECONNREFUSED)');

    const unreachable = describeConnectError(
      sshError('connect EHOSTUNREACH', { level: 'client-socket', code: 'EHOSTUNREACH' }),
      endpoint,
      'key /k',
      10_000,
    );
    expect(unreachable.message).toBe('cannot reach web-1 (10.0.0.5:22): no route to host (EHOSTUNREACH)');

    const timeout = describeConnectError(
      sshError('Timed out while waiting for handshake', { level: 'client-timeout' }),
      endpoint,
      'key /k',
      2_500,
    );
    expect(timeout.message).toBe('cannot reach web-1 (10.0.0.5:22): no SSH answer within 2.5s (ETIMEDOUT)');

    const auth = describeConnectError(
      sshError('All configured authentication methods failed', { level: 'client-authentication' }),
      endpoint,
      'the keys of the ssh-agent (SSH_AUTH_SOCK)',
      10_000,
    );
    expect(auth).toBeInstanceOf(HostAuthError);
    expect(auth.message).toBe(
      'SSH authentication failed for user deploy on web-1 (10.0.0.5:22) with the keys of the ssh-agent (SSH_AUTH_SOCK)',
    );
    expect(auth.hint).toContain('~deploy/.ssh/authorized_keys');
  });
});
