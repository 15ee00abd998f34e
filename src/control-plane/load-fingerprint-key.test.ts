import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FINGERPRINT_KEY_FILE, loadFingerprintKey } from './load-fingerprint-key.js';

const dirs: string[] = [];
const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-fp-key-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('loadFingerprintKey', () => {
  it('makes a 32-byte key, 0600, once, and reads the same one after', async () => {
    const dir = stateDir();
    const [a, b] = await Promise.all([loadFingerprintKey(dir), loadFingerprintKey(dir)]);
    expect(a).toHaveLength(32);
    expect(b.equals(a)).toBe(true);
    expect((await loadFingerprintKey(dir)).equals(a)).toBe(true);
    expect(statSync(join(dir, FINGERPRINT_KEY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('tightens a restored key file, and refuses one of the wrong length', async () => {
    const dir = stateDir();
    const file = join(dir, FINGERPRINT_KEY_FILE);
    writeFileSync(file, Buffer.alloc(32, 1));
    chmodSync(file, 0o644);
    expect(await loadFingerprintKey(dir)).toEqual(Buffer.alloc(32, 1));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'short');
    await expect(loadFingerprintKey(dir)).rejects.toThrow('is not 32 bytes long');
  });
});
