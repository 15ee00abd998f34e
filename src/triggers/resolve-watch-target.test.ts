import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { isRemoteRepo, resolveRepoOption, resolveWatchTarget } from './resolve-watch-target.js';

const config = (environments: string[], watch: object = {}) =>
  configSchema.parse({
    app: 'shop',
    run: { command: 'node server.js' },
    environments: Object.fromEntries(environments.map((e, i) => [e, { publicPort: 8000 + i }])),
    watch,
  });

describe('resolveWatchTarget', () => {
  it.each([
    ['https://github.com/example/shop.git', true],
    ['ssh://git@example.com/shop.git', true],
    ['git@github.com:example/shop.git', true],
    ['file:///srv/git/shop.git', true],
    ['/srv/git/shop.git', false],
    ['../shop', false],
  ])('%s is remote: %s', (repo, remote) => {
    expect(isRemoteRepo(repo)).toBe(remote);
  });

  it('follows the project directory by default, relative paths from slipway.yml, --repo from the cwd', () => {
    expect(resolveWatchTarget(config(['production']), '/p', '/p/.slipway', {}).repo).toBe('/p');
    expect(resolveWatchTarget(config(['production'], { repo: '../src' }), '/p/app', '/s', {}).repo).toBe(
      '/p/src',
    );
    expect(resolveRepoOption('src', '/home/me')).toBe('/home/me/src');
    expect(resolveRepoOption('git@h:x.git', '/home/me')).toBe('git@h:x.git');
  });

  it('keeps each repo and branch in its own directory', () => {
    const a = resolveWatchTarget(config(['production']), '/p', '/s', { branch: 'main' });
    const b = resolveWatchTarget(config(['production']), '/p', '/s', { branch: 'release' });
    expect(a.key).toBe('/p#main');
    expect(a.workDir).not.toBe(b.workDir);
    expect(a.workDir.startsWith('/s/watch/')).toBe(true);
  });

  it('deploys to the only environment, or the one named; asks when there are several', () => {
    expect(resolveWatchTarget(config(['production']), '/p', '/s', {}).environment).toBe('production');
    expect(
      resolveWatchTarget(config(['staging', 'production']), '/p', '/s', { env: 'staging' }).environment,
    ).toBe('staging');
    expect(() => resolveWatchTarget(config(['staging', 'production']), '/p', '/s', {})).toThrow(
      'which environment should new commits be deployed to?',
    );
    expect(() => resolveWatchTarget(config(['production']), '/p', '/s', { env: 'prod' })).toThrow(
      'no environment named "prod"',
    );
    expect(() => resolveWatchTarget(config(['production']), '/p', '/s', { interval: 'soon' })).toThrow(
      '"soon" is not a usable interval',
    );
  });

  it('refuses an --interval no timer can hold (it would poll without pause), and takes the longest one that fits', () => {
    const watch = (interval: string) => () =>
      resolveWatchTarget(config(['production']), '/p', '/s', { interval });
    expect(watch('30d')).toThrow(
      '"30d" is not a usable interval: expected at most 24d20h31m23s647ms (2^31-1 ms, the longest a timer can wait)',
    );
    expect(watch('0s')).toThrow('"0s" is not a usable interval: expected a duration above 0');
    expect(watch('24d20h31m23s647ms')().intervalMs).toBe(2 ** 31 - 1);
  });
});
