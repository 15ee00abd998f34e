import { describe, expect, it } from 'vitest';
import type { SecretDiffEntry, SecretDiffState } from './secret-diff.js';
import { decideRotation, type RotationInput } from './secret-rotation.js';

const diff = (states: Record<string, SecretDiffState>): SecretDiffEntry[] =>
  Object.entries(states).map(([name, state]) => ({ name, state }));

const input = (over: Partial<RotationInput>): RotationInput => ({
  environment: 'production',
  release: '1.2.0',
  releaseSecrets: ['API_KEY', 'DATABASE_URL'],
  diff: diff({ API_KEY: 'unchanged', DATABASE_URL: 'changed' }),
  asked: [],
  force: false,
  ...over,
});

describe('decideRotation', () => {
  it.each<[string, Partial<RotationInput>, ReturnType<typeof decideRotation>['kind'], string[] | RegExp]>([
    ['no names: what changed', {}, 'rotate', ['DATABASE_URL']],
    [
      'no names: a value with no recorded fingerprint counts as changed',
      { diff: diff({ API_KEY: 'added', DATABASE_URL: 'added' }) },
      'rotate',
      ['API_KEY', 'DATABASE_URL'],
    ],
    [
      'no names, nothing changed',
      { diff: diff({ API_KEY: 'unchanged', DATABASE_URL: 'unchanged' }) },
      'nothing',
      /no secret of production changed/,
    ],
    [
      'no names, nothing changed, forced: all of them',
      { diff: diff({ API_KEY: 'unchanged', DATABASE_URL: 'unchanged' }), force: true },
      'rotate',
      ['API_KEY', 'DATABASE_URL'],
    ],
    ['named and changed', { asked: ['DATABASE_URL'] }, 'rotate', ['DATABASE_URL']],
    ['named, unchanged', { asked: ['API_KEY'] }, 'refuse', /API_KEY has the value that runs/],
    [
      'named, unchanged, forced, another changed unasked',
      { asked: ['API_KEY'], force: true },
      'refuse',
      /DATABASE_URL changed too/,
    ],
    [
      'named, unchanged, forced',
      { asked: ['API_KEY'], force: true, diff: diff({ API_KEY: 'unchanged', DATABASE_URL: 'unchanged' }) },
      'rotate',
      ['API_KEY'],
    ],
    [
      'another changed secret not named',
      { asked: ['DATABASE_URL'], diff: diff({ API_KEY: 'changed', DATABASE_URL: 'changed' }) },
      'refuse',
      /API_KEY changed too/,
    ],
    ['a name the release does not read', { asked: ['NOPE'] }, 'refuse', /NOPE is not read by release 1.2.0/],
    [
      'a secret without a value',
      { diff: diff({ API_KEY: 'missing', DATABASE_URL: 'changed' }) },
      'refuse',
      /API_KEY has no value now/,
    ],
    ['a release with no secrets', { releaseSecrets: [], diff: [] }, 'refuse', /reads no secrets/],
    [
      'a secret only in the config now (not read by the release) is not in the way',
      { diff: diff({ API_KEY: 'unchanged', DATABASE_URL: 'changed', NEW_ONE: 'missing' }) },
      'rotate',
      ['DATABASE_URL'],
    ],
  ])('%s', (_, over, kind, expected) => {
    const decision = decideRotation(input(over));
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'rotate') expect(decision.secrets).toEqual(expected);
    else expect(decision.message).toMatch(expected as RegExp);
  });

  it('names the secrets to add in its hint when one changed unasked', () => {
    const decision = decideRotation(
      input({ asked: ['DATABASE_URL'], diff: diff({ API_KEY: 'changed', DATABASE_URL: 'changed' }) }),
    );
    expect(decision.kind).toBe('refuse');
    if (decision.kind === 'refuse')
      expect(decision.hint).toContain('slipway secrets rotate production DATABASE_URL API_KEY');
  });
});
