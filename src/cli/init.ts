import { existsSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { DiskFullError, InputError, isDiskFullErrno, SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { APP_KINDS, detectApp, findAppKinds, type AppGuess, type AppKind } from '../config/detect-app.js';
import { deriveAppName, renderInitTemplate } from '../config/init-template.js';
import { loadProjectFiles } from '../config/load-project-files.js';
import {
  AGE_IDENTITY_ENV,
  defaultAgeIdentityFile,
  resolveAgeIdentitySource,
} from '../config/load-encrypted-secrets.js';
import { portOption } from './parse-options.js';
import { dim, green } from './progress-renderer.js';
import { readIdentityFile, writeNewAgeIdentity } from './secrets-keygen.js';

interface InitOptions {
  app?: string;
  port: number;
  force?: boolean;
  yes?: boolean;
  kind?: AppKind;
  encryptedSecrets?: boolean;
}

export function registerInit(program: Command, globals: () => { config?: string }): void {
  program
    .command('init')
    .description('look at the project and write a commented slipway.yml for it (build, run on $PORT, health)')
    .option('--app <name>', 'app name (default: from the directory name)')
    .option('--port <port>', 'public port of the production router', portOption('--port'), 8080)
    .option('--force', 'overwrite an existing file')
    .option('--yes', 'accepted for scripts: init never asks anything, it writes its guesses with comments')
    .option(
      '--encrypted-secrets',
      "take production's secret values from an age-encrypted file in the repository (secrets/production.env.age): makes your identity where slipway looks for it, unless there is one, and lists its recipient",
    )
    .addOption(
      new Option('--kind <kind>', 'which kind of project to write for when several are found').choices(
        APP_KINDS,
      ),
    )
    .action(async (opts: InitOptions) => {
      const file = resolve(globals().config ?? DEFAULTS.configFile);
      if (existsSync(file) && !opts.force) {
        throw new SlipwayError(`${file} already exists`, { hint: 'use --force to overwrite it' });
      }
      // The project is the directory of slipway.yml: build.path and the release start there.
      const projectDir = dirname(file);
      const files = await loadProjectFiles(projectDir);
      if (opts.kind && !findAppKinds(files).includes(opts.kind)) {
        throw new InputError(`--kind ${opts.kind}: ${projectDir} is not a ${opts.kind} project`, {
          hint: `found: ${findAppKinds(files).join(', ') || 'none of the kinds init knows'}`,
        });
      }
      const guess = detectApp(files, opts.kind ? { kind: opts.kind } : {});
      const app = opts.app ?? deriveAppName(basename(process.cwd()));
      const identity = opts.encryptedSecrets ? await prepareAgeIdentity(app) : undefined;
      const encryptedSecrets = identity ? { recipients: identity.recipients } : undefined;
      try {
        writeFileSync(file, renderInitTemplate({ app, port: opts.port, guess, encryptedSecrets }));
      } catch (error) {
        throw isDiskFullErrno(error) ? new DiskFullError(file, { cause: error }) : error;
      }
      process.stdout.write(
        green(`✔ wrote ${file}\n`) + describeGuess(guess) + (identity ? describeIdentity(identity) : ''),
      );
    });
}

/** What init wrote, in four lines, and what to do next. */
function describeGuess(guess: AppGuess): string {
  if (guess.kind === 'unknown') {
    return (
      'no package.json, Python project, Gemfile, go.mod or Dockerfile found: a starter file\n' +
      'next: edit run.command and healthCheck.path, then run "slipway validate"\n'
    );
  }
  const lines = [
    `for ${guess.description}:`,
    `  build   ${guess.build.value ?? dim('(none)')}`,
    `  run     ${guess.run.value}`,
    `  health  ${guess.healthPath.value}`,
    'next: check these guesses (a comment above each says why), then run "slipway validate"',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The identity that will decrypt production's file: the one where deploys look for it (SLIPWAY_AGE_IDENTITY_FILE,
 * else the default file of the app), made there when there is none.
 */
async function prepareAgeIdentity(
  app: string,
): Promise<{ file: string; recipients: string[]; made: boolean }> {
  const context = { app, processEnv: { ...process.env, [AGE_IDENTITY_ENV]: undefined }, homeDir: homedir() };
  const source = resolveAgeIdentitySource({ ...context, settings: { path: '', recipients: [] } });
  const file = source.kind === 'file' ? source.file : defaultAgeIdentityFile(context);
  const existing = await readIdentityFile(file);
  if (existing === undefined) {
    return { file, recipients: [await writeNewAgeIdentity(file)], made: true };
  }
  if (existing.length === 0) {
    throw new SlipwayError(`${file} holds no age identity (AGE-SECRET-KEY-1…)`, {
      hint: 'fix or move that file, then run init again',
    });
  }
  return { file, recipients: existing, made: false };
}

function describeIdentity(identity: { file: string; recipients: string[]; made: boolean }): string {
  return (
    `encrypted secrets: production's values go in secrets/production.env.age, encrypted to ${identity.recipients.join(', ')}\n` +
    `  your identity (private key): ${identity.file}${identity.made ? ' (new, mode 0600: back it up, never commit it)' : ''}\n` +
    'next: "slipway secrets edit production" to write the values\n'
  );
}
