import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fingerprint,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  matchHostKey,
  parseKnownHosts,
  recordHostKey,
  verifyHostKey,
} from './known-hosts.js';
import { generateKey, publicKeyBlob } from './test-sshd.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-kh-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newKey(dir: string, name: string, type: 'ed25519' | 'ecdsa' = 'ed25519'): Buffer {
  generateKey(join(dir, name), type);
  return publicKeyBlob(join(dir, `${name}.pub`));
}

describe('known_hosts', () => {
  it('names hosts the way OpenSSH does', () => {
    expect(knownHostsName('10.0.0.5', 22)).toBe('10.0.0.5');
    expect(knownHostsName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
  });

  it('prints the same fingerprint as ssh-keygen -l', () => {
    const dir = tempDir();
    const blob = newKey(dir, 'k');
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')], {
      encoding: 'utf8',
    });
    expect(printed.split(' ')[1]).toBe(fingerprint(blob));
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
  });

  it('tells known, unknown and changed keys apart, by host and port', () => {
    const dir = tempDir();
    const a = newKey(dir, 'a');
    const b = newKey(dir, 'b');
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `10.0.0.5 ssh-ed25519 ${a.toString('base64')}`,
        `[10.0.0.6]:2222,web-2 ssh-ed25519 ${a.toString('base64')} some comment`,
      ].join('\n'),
    );
    expect(matchHostKey(entries, '10.0.0.5', 22, a)).toBe('known');
    expect(matchHostKey(entries, '10.0.0.5', 22, b)).toBe('changed');
    expect(matchHostKey(entries, '10.0.0.5', 2222, b)).toBe('unknown');
    expect(matchHostKey(entries, '10.0.0.6', 2222, a)).toBe('known');
    expect(matchHostKey(entries, 'web-2', 22, a)).toBe('known');
    expect(matchHostKey(entries, '10.0.0.7', 22, a)).toBe('unknown');
  });

  it('treats a key of another type as unknown and a revoked key as changed', () => {
    const dir = tempDir();
    const ed = newKey(dir, 'ed');
    const ecdsa = newKey(dir, 'ec', 'ecdsa');
    const entries = parseKnownHosts(
      [
        `h1 ssh-ed25519 ${ed.toString('base64')}`,
        `@revoked * ${keyTypeOf(ecdsa)} ${ecdsa.toString('base64')}`,
        `@cert-authority *.example.com ssh-ed25519 ${ed.toString('base64')}`,
      ].join('\n'),
    );
    expect(matchHostKey(entries, 'h2', 22, ecdsa)).toBe('changed');
    expect(matchHostKey(entries, 'x.example.com', 22, ed)).toBe('unknown');
    expect(knownKeyTypes(entries, 'h1', 22)).toEqual(['ssh-ed25519']);
  });

  it('honours wildcards and negations', () => {
    const dir = tempDir();
    const a = newKey(dir, 'a');
    const entries = parseKnownHosts(`*.prod.example,!db.prod.example ssh-ed25519 ${a.toString('base64')}`);
    expect(matchHostKey(entries, 'web.prod.example', 22, a)).toBe('known');
    expect(matchHostKey(entries, 'db.prod.example', 22, a)).toBe('unknown');
  });

  it('records a key once and reads it back; files hashed by ssh-keygen -H still match', async () => {
    const dir = tempDir();
    const file = join(dir, 'sub', 'known_hosts');
    const a = newKey(dir, 'a');
    expect(await verifyHostKey(file, '127.0.0.1', 2200, a)).toBe('unknown');
    await recordHostKey(file, '127.0.0.1', 2200, a);
    await recordHostKey(file, '127.0.0.1', 2200, a);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(`[127.0.0.1]:2200 ssh-ed25519 ${a.toString('base64')}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await verifyHostKey(file, '127.0.0.1', 2200, a)).toBe('known');

    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).toMatch(/^\|1\|/);
    expect(await verifyHostKey(file, '127.0.0.1', 2200, a)).toBe('known');
    expect(await verifyHostKey(file, '127.0.0.1', 2201, a)).toBe('unknown');
  });

  it('appends on a new line when the file does not end with one', async () => {
    const dir = tempDir();
    const file = join(dir, 'known_hosts');
    const a = newKey(dir, 'a');
    writeFileSync(file, `other ssh-ed25519 ${a.toString('base64')}`);
    await recordHostKey(file, 'h', 22, a);
    expect(readFileSync(file, 'utf8').split('\n')).toEqual([
      `other ssh-ed25519 ${a.toString('base64')}`,
      `h ssh-ed25519 ${a.toString('base64')}`,
      '',
    ]);
  });
});
