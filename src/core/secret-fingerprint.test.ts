import { describe, expect, it } from 'vitest';
import { Secret } from './secret.js';
import {
  deriveSecretChanges,
  deriveSecretFingerprints,
  describeSecretChanges,
  parseSecretFingerprintRecord,
} from './secret-fingerprint.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const scope = { app: 'shop', environment: 'production' };
const secrets = (values: Record<string, string>) =>
  new Map(Object.entries(values).map(([name, value]) => [name, new Secret(name, value)]));

describe('deriveSecretFingerprints', () => {
  it('changes when and only when a value changes', () => {
    const before = deriveSecretFingerprints(KEY, scope, secrets({ DB: 'postgres://a', API: 'k1' }));
    const same = deriveSecretFingerprints(KEY, scope, secrets({ API: 'k1', DB: 'postgres://a' }));
    const after = deriveSecretFingerprints(KEY, scope, secrets({ DB: 'postgres://b', API: 'k1' }));
    expect(same).toEqual(before);
    expect(after.API).toBe(before.API);
    expect(after.DB).not.toBe(before.DB);
    expect(before.DB).toMatch(/^[0-9a-f]{32}$/);
  });

  it('depends on the key, and does not show equal values of two secrets or environments as equal', () => {
    const one = deriveSecretFingerprints(KEY, scope, secrets({ A: 'same', B: 'same' }));
    expect(one.A).not.toBe(one.B);
    const staging = deriveSecretFingerprints(
      KEY,
      { ...scope, environment: 'staging' },
      secrets({ A: 'same' }),
    );
    expect(staging.A).not.toBe(one.A);
    expect(deriveSecretFingerprints(OTHER_KEY, scope, secrets({ A: 'same' })).A).not.toBe(one.A);
  });

  it('holds no value or part of one', () => {
    const value = 'sk_live_0123456789abcdef';
    const printed = JSON.stringify(deriveSecretFingerprints(KEY, scope, secrets({ STRIPE: value })));
    expect(printed).not.toContain(value.slice(0, 8));
  });
});

describe('deriveSecretChanges and describeSecretChanges', () => {
  it.each([
    [
      { A: '1', B: '2' },
      { A: '1', B: '2' },
      { changed: [], added: [], removed: [] },
      'no secret changed since the last successful deployment',
    ],
    [
      { A: '1', B: '2' },
      { A: '9', B: '2' },
      { changed: ['A'], added: [], removed: [] },
      'A changed since the last successful deployment',
    ],
    [
      { A: '1', OLD: '2' },
      { A: '9', NEW: '3' },
      { changed: ['A'], added: ['NEW'], removed: ['OLD'] },
      'A changed; NEW new; OLD no longer used since the last successful deployment',
    ],
  ])('%j → %j', (previous, current, changes, message) => {
    expect(deriveSecretChanges(previous, current)).toEqual(changes);
    expect(describeSecretChanges(deriveSecretChanges(previous, current), 2)).toBe(message);
  });

  it('says when there is nothing to compare with', () => {
    expect(describeSecretChanges(null, 1)).toBe(
      '1 secret fingerprinted; no earlier deployment to compare with',
    );
  });
});

describe('parseSecretFingerprintRecord', () => {
  it('reads back what was recorded and refuses what is not one', () => {
    const record = { fingerprints: { A: 'ab' }, changes: { changed: ['A'], added: [], removed: [] } };
    expect(parseSecretFingerprintRecord(JSON.parse(JSON.stringify(record)))).toEqual(record);
    expect(parseSecretFingerprintRecord({ fingerprints: { A: 'ab' }, changes: null })).toEqual({
      fingerprints: { A: 'ab' },
      changes: null,
    });
    for (const data of [undefined, null, 'x', {}, { fingerprints: { A: 1 } }])
      expect(parseSecretFingerprintRecord(data)).toBeNull();
  });
});
