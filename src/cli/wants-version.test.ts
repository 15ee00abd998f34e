import { describe, expect, it } from 'vitest';
import { wantsVersion } from './wants-version.js';

const VERBS = new Set(['release', 'deploy', 'status']);

describe('wantsVersion', () => {
  it.each([
    [['--version'], true],
    [['-V'], true],
    [['-c', 'app/slipway.yml', '--version'], true],
    [['--server', 'http://127.0.0.1:8430', '-V'], true],
    [['release', 'create', '--version', '1.2.0'], false],
    [['-c', 'slipway.yml', 'release', 'create', '--version', '1.2.0'], false],
    [['deploy', 'production', '-V'], false],
    [['status'], false],
    [[], false],
  ])('%j → %s', (args, expected) => {
    expect(wantsVersion(args, VERBS)).toBe(expected);
  });
});
