import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgram } from './program.js';
import { createRemoteProgram } from './remote/create-remote-program.js';
import { SHARED_VERBS } from './shared-verbs.js';
import { VERB_MODULES, VERB_NAMES } from './verbs.js';

/** The local program with every verb, as `slipway --help` builds it. */
async function localProgram(): Promise<Command> {
  const program = createProgram();
  for (const register of await Promise.all(VERB_MODULES.map((m) => m.load()))) register(program, () => ({}));
  return program;
}

function remoteProgram(): Command {
  const names = createProgram();
  for (const name of VERB_NAMES) names.command(name);
  return createRemoteProgram(names);
}

/** What a user can type for a command: its arguments and options, and what each defaults to. */
function surface(command: Command) {
  return {
    arguments: command.registeredArguments.map((a) => ({
      name: a.name(),
      required: a.required,
      variadic: a.variadic,
    })),
    options: command.options.map((o) => ({
      flags: o.flags,
      default: o.defaultValue as unknown,
      mandatory: o.mandatory,
      parsed: o.parseArg !== undefined,
    })),
    subcommands: command.commands.map((c) => c.name()),
  };
}

/** Every command of the shared verbs, subcommands included: `deploy`, `release create` … */
function sharedPaths(): string[][] {
  return SHARED_VERBS.flatMap((v) =>
    'subcommands' in v ? [[v.name], ...v.subcommands.map((s) => [v.name, s.name])] : [[v.name]],
  );
}

function find(program: Command, path: readonly string[]): Command {
  let command = program;
  for (const name of path) {
    const next = command.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command ${path.join(' ')}`);
    command = next;
  }
  return command;
}

describe('the verbs that run here or on a server', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('are the twelve of docs/cli-remote.md, each registered by the local verb table', () => {
    expect(SHARED_VERBS.map((v) => v.name)).toEqual([
      'release',
      'releases',
      'plan',
      'deploy',
      'rollback',
      'promote',
      'abort',
      'unlock',
      'maintenance',
      'approve',
      'reject',
      'status',
      'history',
      'logs',
    ]);
    for (const v of SHARED_VERBS) expect(VERB_NAMES.has(v.name)).toBe(true);
  });

  it.each(sharedPaths().map((p) => [p.join(' '), p] as const))(
    '%s has the same arguments and options here and over --server',
    async (_name, path) => {
      const [local, remote] = [find(await localProgram(), path), find(remoteProgram(), path)];
      expect(surface(remote)).toEqual(surface(local));
    },
  );

  it('marks as local-only exactly the options docs/cli-remote.md says are refused over --server', () => {
    const program = remoteProgram();
    const refused = sharedPaths().flatMap((path) =>
      find(program, path)
        .options.filter((o) => o.description.endsWith('(local only: refused over --server)'))
        .map((o) => `${path.join(' ')} ${o.long ?? o.flags}`),
    );
    expect(refused).toEqual([
      'plan --pipeline',
      'deploy --at',
      'deploy --timezone',
      'deploy --override-freeze',
      'rollback --down',
      'logs --follow',
      'logs --target',
      'logs --process',
      'logs --job',
    ]);
  });

  it.each([
    [['deploy', 'production', '--at', '+10m'], '--at of `slipway deploy`'],
    [['deploy', 'production', '--timezone', 'Europe/Paris'], '--timezone of `slipway deploy`'],
    [['deploy', 'production', '--override-freeze', '--reason', 'x'], '--override-freeze of `slipway deploy`'],
    [['rollback', 'production', '--down'], '--down of `slipway rollback`'],
    [['plan', '--pipeline'], '--pipeline of `slipway plan`'],
    [['logs', 'production', '-f'], '--follow of `slipway logs`'],
    [['logs', 'production', '--target', 't1'], '--target of `slipway logs`'],
    [['logs', 'production', '--job', 'sweep'], '--job of `slipway logs`'],
  ])('over --server, %j is refused before anything is sent', async (args, message) => {
    vi.stubEnv('SLIPWAY_TOKEN', 'slp_test');
    const program = remoteProgram();
    await expect(
      program.parseAsync(['node', 'slipway', '--server', 'http://127.0.0.1:1', ...args]),
    ).rejects.toThrow(`${message} is not available over --server`);
  });

  it("does not refuse a local-only option's default (deploy --timezone is UTC unless given)", async () => {
    vi.stubEnv('SLIPWAY_TOKEN', '');
    const program = remoteProgram();
    // Past the refusal, the remote action opens the client, which wants a token.
    await expect(
      program.parseAsync(['node', 'slipway', '--server', 'http://127.0.0.1:1', 'deploy', 'production']),
    ).rejects.toThrow('SLIPWAY_TOKEN is not set');
  });
});
