import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram, globalValueOptions } from './program.js';
import { findVerb, VERB_MODULES, verbModulesFor } from './verbs.js';

const VALUE_OPTIONS = globalValueOptions(createProgram());

describe('the verb table', () => {
  it('knows the global options that take a value', () => {
    expect([...VALUE_OPTIONS].sort()).toEqual(['--config', '--server', '--state-dir', '--store', '-c']);
  });

  it.each(VERB_MODULES.map((m) => [m.names.join(', '), m] as const))(
    'names what %s registers',
    async (_names, module) => {
      const program = new Command();
      (await module.load())(program, () => ({}));
      expect(program.commands.map((c) => c.name())).toEqual(module.names);
    },
  );
});

describe('findVerb', () => {
  it.each([
    [['status'], 'status', false],
    [['-c', 'app/slipway.yml', 'status', 'production'], 'status', false],
    [['--config', 'status', 'deploy'], 'deploy', false],
    [['--config=app', 'rollback', 'production'], 'rollback', false],
    [['-capp/slipway.yml', 'plan'], 'plan', false],
    [['--state-dir', '/tmp/s', '--store', 'postgres://db/x', 'history'], 'history', false],
    [['--help', 'deploy'], 'deploy', true],
    [['-h'], null, true],
    [['--', 'status'], null, false],
    [[], null, false],
    [['nope'], 'nope', false],
  ])('%j → %s', (args, verb, helpFirst) => {
    expect(findVerb(args, VALUE_OPTIONS)).toMatchObject({ verb, helpFirst });
  });
});

describe('verbModulesFor', () => {
  const namesFor = (args: string[]) => verbModulesFor(findVerb(args, VALUE_OPTIONS)).flatMap((m) => m.names);
  const all = VERB_MODULES.flatMap((m) => m.names);

  it.each([
    [['status'], ['status']],
    [['-c', 'x', 'rollback', 'production'], ['rollback']],
    [['agent', 'stop', '--stop-targets'], ['agent']],
    [['certificates', 'renew', 'production', '--revoke'], ['certificates']],
    [['secrets', 'diff', 'production', '--json'], ['secrets']],
    [
      ['release', 'create', '--version', '1.0.0'],
      ['release', 'releases'],
    ],
    [
      ['abort', 'production'],
      ['promote', 'abort'],
    ],
    [['status', '--help'], ['status']],
  ])('%j loads %j only', (args, names) => {
    expect(namesFor(args)).toEqual(names);
  });

  it.each([[[]], [['--help']], [['--help', 'status']], [['help', 'status']], [['nope']]])(
    '%j loads every verb (help, or an unknown verb to suggest one for)',
    (args) => {
      expect(namesFor(args)).toEqual(all);
    },
  );
});
