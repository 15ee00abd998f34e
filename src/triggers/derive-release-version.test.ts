import { describe, expect, it } from 'vitest';
import { deriveReleaseVersion } from './derive-release-version.js';

const sha = '3f2a9c1d0b4e5f60718293a4b5c6d7e8f9012345';

describe('deriveReleaseVersion', () => {
  it.each([
    [[], '{shortSha}', '3f2a9c1'],
    [['v1.4.0'], '{shortSha}', 'v1.4.0'],
    [['not a version!', '1.0.0'], '{shortSha}', '1.0.0'],
    [[], '{branch}-{count}-{shortSha}', 'feature-x-17-3f2a9c1'],
    [[], 'build-{sha}', `build-${sha}`],
    [[], '{unknown}', '{unknown}'],
  ])('tags %j with template %s → %s', (tags, template, expected) => {
    expect(deriveReleaseVersion({ sha, branch: 'feature/x', tags, count: 17 }, template)).toBe(expected);
  });
});
