import { describe, expect, it } from 'vitest';
import { deriveSecretDiff, describeSecretDiff, secretsDiffer, type SecretDiffEntry } from './secret-diff.js';

describe('deriveSecretDiff', () => {
  const cases: Array<{
    title: string;
    names: string[];
    current: Record<string, string>;
    running: Record<string, string>;
    want: SecretDiffEntry[];
  }> = [
    { title: 'nothing at all', names: [], current: {}, running: {}, want: [] },
    {
      title: 'the same fingerprint is unchanged',
      names: ['A'],
      current: { A: 'f1' },
      running: { A: 'f1' },
      want: [{ name: 'A', state: 'unchanged' }],
    },
    {
      title: 'another fingerprint is changed',
      names: ['A'],
      current: { A: 'f2' },
      running: { A: 'f1' },
      want: [{ name: 'A', state: 'changed' }],
    },
    {
      title: 'a value now that does not run is added (also when nothing was recorded)',
      names: ['B', 'A'],
      current: { A: 'f1', B: 'f2' },
      running: {},
      want: [
        { name: 'A', state: 'added' },
        { name: 'B', state: 'added' },
      ],
    },
    {
      title: 'a name that runs but is no longer named is removed',
      names: ['A'],
      current: { A: 'f1' },
      running: { A: 'f1', OLD: 'f9' },
      want: [
        { name: 'A', state: 'unchanged' },
        { name: 'OLD', state: 'removed' },
      ],
    },
    {
      title: 'a name without a value now is missing, whether it runs or not',
      names: ['A', 'B'],
      current: {},
      running: { A: 'f1' },
      want: [
        { name: 'A', state: 'missing' },
        { name: 'B', state: 'missing' },
      ],
    },
    {
      title: 'a name given twice is one entry; entries are sorted by name',
      names: ['Z', 'A', 'Z'],
      current: { A: 'f1', Z: 'f3' },
      running: { Z: 'f2', M: 'f0', A: 'f1' },
      want: [
        { name: 'A', state: 'unchanged' },
        { name: 'M', state: 'removed' },
        { name: 'Z', state: 'changed' },
      ],
    },
    {
      title: 'inherited object keys are not secrets',
      names: ['toString'],
      current: {},
      running: {},
      want: [{ name: 'toString', state: 'missing' }],
    },
  ];
  it.each(cases)('$title', ({ names, current, running, want }) => {
    expect(deriveSecretDiff(names, current, running)).toEqual(want);
  });
});

describe('secretsDiffer', () => {
  it.each<[SecretDiffEntry['state'][], boolean]>([
    [[], false],
    [['unchanged', 'unchanged'], false],
    [['unchanged', 'changed'], true],
    [['added'], true],
    [['removed'], true],
    [['missing'], true],
  ])('%j → %s', (states, want) => {
    expect(secretsDiffer(states.map((state, i) => ({ name: `S${i}`, state })))).toBe(want);
  });
});

describe('describeSecretDiff', () => {
  it('prints a line per secret, states aligned', () => {
    expect(
      describeSecretDiff([
        { name: 'API_TOKEN', state: 'unchanged' },
        { name: 'GREETING', state: 'changed' },
      ]),
    ).toBe('  unchanged  API_TOKEN\n  changed    GREETING\n');
  });
  it('says when there is nothing to compare', () => {
    expect(describeSecretDiff([])).toBe('no secrets named, none in what runs\n');
  });
});
