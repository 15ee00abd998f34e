import { describe, expect, it } from 'vitest';
import type { GlobalOptions } from './project.js';
import { completeWords, completionScript, completionSources } from './completion.js';
import { createProgram } from './program.js';

const ENVIRONMENTS = ['production', 'staging'];
const RELEASES = ['2.0.0', '1.1.0', '1.0.0'];

/** The real verbs and global options; the project's environments and releases fixed, and who asked noted. */
function sources() {
  const asked: GlobalOptions[] = [];
  return {
    asked,
    sources: {
      ...completionSources(createProgram()),
      environments: (globals: GlobalOptions) => (asked.push(globals), Promise.resolve(ENVIRONMENTS)),
      releases: (globals: GlobalOptions) => (asked.push(globals), Promise.resolve(RELEASES)),
    },
  };
}

describe('completeWords', () => {
  it.each([
    // verbs, and the global options before them
    [['de'], ['deploy', 'demo']],
    [['ro'], ['rollback']],
    [['--st'], ['--state-dir', '--store']],
    [['-c', 'app/slipway.yml', 'sta'], ['status']],
    [['-c', ''], []],
    [['__'], []],
    [['help', 'ro'], ['rollback']],
    // environments: arguments and options named env or environment
    [['deploy', ''], ENVIRONMENTS],
    [['status', 'st'], ['staging']],
    [['db', 'restore', ''], ENVIRONMENTS],
    [['watch', '--env', 'p'], ['production']],
    [['status', 'production', ''], []],
    // release versions: values named version, but not the new one of `release create --version`
    [['deploy', 'production', '--release', ''], RELEASES],
    [
      ['deploy', 'production', '-r', '1.'],
      ['1.1.0', '1.0.0'],
    ],
    [['rollback', 'production', '--to', '1.0'], ['1.0.0']],
    [['promote-release', ''], RELEASES],
    [['promote-release', '1.0.0', ''], ENVIRONMENTS],
    [['release', 'create', '--version', ''], []],
    // sub-verbs, options, fixed choices
    [['release', ''], ['create']],
    [['agent', 'sto'], ['stop']],
    [
      ['db', ''],
      ['backups', 'status', 'restore', 'unfreeze'],
    ],
    [
      ['agent', 'stop', '--'],
      ['--stop-targets', '--help'],
    ],
    [['rollback', 'production', '--d'], ['--down']],
    [
      ['completion', ''],
      ['bash', 'zsh', 'fish'],
    ],
    [['completion', 'z'], ['zsh']],
    [['cer'], ['certificates']],
    [['certificates', ''], ['renew']],
    [['certificates', 'renew', ''], ENVIRONMENTS],
    [
      ['certificates', 'renew', 'production', '--r'],
      ['--revoke', '--reason'],
    ],
    [
      ['certificates', 'renew', 'production', '--revoke', '--reason', ''],
      ['keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified'],
    ],
    [
      ['secrets', ''],
      ['diff', 'edit', 'keygen', 'rotate'],
    ],
    [['secrets', 'rotate', ''], ENVIRONMENTS],
    [
      ['secrets', 'rotate', 'production', '--'],
      ['--force', '--override-freeze', '--reason', '--help'],
    ],
    [['secrets', 'diff', ''], ENVIRONMENTS],
    [['secrets', 'edit', ''], ENVIRONMENTS],
    [
      ['secrets', 'edit', 'production', '--'],
      ['--reencrypt', '--help'],
    ],
    [['secrets', 'keygen', ''], ENVIRONMENTS],
    [
      ['secrets', 'keygen', '--'],
      ['--out', '--help'],
    ],
    [
      ['secrets', 'diff', 'production', '--'],
      ['--json', '--help'],
    ],
    // values Slipway cannot know, and unknown verbs
    [['rollback', 'production', '--reason', ''], []],
    [['logs', 'production', '--lines', ''], []],
    [['nope', ''], []],
  ])('%j → %j', async (words, expected) => {
    expect(await completeWords(words, sources().sources)).toEqual(expected);
  });

  it('offers every verb, and help, for an empty first word', async () => {
    const verbs = await completeWords([''], sources().sources);
    expect(verbs).toEqual(
      expect.arrayContaining(['init', 'deploy', 'status', 'rollback', 'completion', 'help']),
    );
    expect(verbs).not.toContain('__complete');
  });

  it.each([
    [['-c', 'app/slipway.yml', 'deploy', ''], { config: 'app/slipway.yml' }],
    [['--config=app', 'deploy', 'production', '--release', ''], { config: 'app' }],
    [['-capp', 'status', ''], { config: 'app' }],
    [['--state-dir', '/s', 'rollback', 'production', '--to', ''], { stateDir: '/s' }],
    [['deploy', '--store', 'postgres://db/x', 'production', '-r', ''], { store: 'postgres://db/x' }],
  ])('%j reads the project the global options name: %j', async (words, globals) => {
    const { asked, sources: s } = sources();
    await completeWords(words, s);
    expect(asked).toEqual([globals]);
  });
});

describe('completionScript', () => {
  it.each(['bash', 'zsh', 'fish'] as const)('%s asks `slipway __complete --` for the candidates', (shell) => {
    expect(completionScript(shell)).toContain('slipway __complete --');
  });
});
