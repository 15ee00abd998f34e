import { describe, expect, it } from 'vitest';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password-hash.js';

// Small parameters keep the unit test quick; the stored string carries them, as it does the defaults.
const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashes', () => {
  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterx', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts each hash, so one password gives different hashes that both verify', async () => {
    const a = await hashPassword('same password here', FAST);
    const b = await hashPassword('same password here', FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password here', a)).toBe(true);
    expect(await verifyPassword('same password here', b)).toBe(true);
  });

  it('stores the default cost with the hash (N = 2^15, r = 8, p = 1)', async () => {
    const stored = await hashPassword('a default-cost password');
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(await verifyPassword('a default-cost password', stored)).toBe(true);
  });

  it('treats a malformed or foreign stored hash as a mismatch, not an error', async () => {
    expect(await verifyPassword('x', 'bcrypt$2b$10$abc')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$0$8$1$AA$AA')).toBe(false);
    expect(await verifyPassword('x', '')).toBe(false);
  });

  it('treats the same password in another Unicode normal form as the same', async () => {
    const stored = await hashPassword('caf\u00e9 au lait, please', FAST);
    expect(await verifyPassword('cafe\u0301 au lait, please', stored)).toBe(true);
  });

  it('has a dummy hash that no empty or common password matches', async () => {
    const dummy = await dummyPasswordHash();
    expect(await dummyPasswordHash()).toBe(dummy);
    expect(await verifyPassword('', dummy)).toBe(false);
    expect(await verifyPassword('password1234', dummy)).toBe(false);
  });
});
