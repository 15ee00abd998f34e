import { describe, expect, it } from 'vitest';
import { describeSecretsDiff } from './secrets.js';

describe('describeSecretsDiff', () => {
  it('names the deployment compared with, then a line per secret', () => {
    const text = describeSecretsDiff({
      environment: 'production',
      running: { deploymentId: 'd-1', release: '1.4.0', atMs: Date.UTC(2026, 11, 7, 9, 12, 3) },
      secrets: [
        { name: 'API_TOKEN', state: 'unchanged' },
        { name: 'DATABASE_URL', state: 'changed' },
      ],
    });
    expect(text).toBe(
      'production: the sources now, against deployment d-1 of 1.4.0 at 2026-12-07T09:12:03.000Z\n' +
        '  unchanged  API_TOKEN\n' +
        '  changed    DATABASE_URL\n',
    );
  });

  it('says when no deployment recorded fingerprints', () => {
    const text = describeSecretsDiff({
      environment: 'staging',
      running: null,
      secrets: [{ name: 'A', state: 'added' }],
    });
    expect(text).toBe(
      'staging: no deployment recorded secret fingerprints; every secret with a value counts as added\n  added  A\n',
    );
  });
});
