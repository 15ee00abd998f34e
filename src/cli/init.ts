import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { DiskFullError, InputError, isDiskFullErrno, SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { APP_KINDS, detectApp, findAppKinds, type AppGuess, type AppKind } from '../config/detect-app.js';
import { deriveAppName, renderInitTemplate } from '../config/init-template.js';
import { loadProjectFiles } from '../config/load-project-files.js';
import { portOption } from './parse-options.js';
import { dim, green } from './progress-renderer.js';

interface InitOptions {
  app?: string;
  port: number;
  force?: boolean;
  yes?: boolean;
  kind?: AppKind;
}

export function registerInit(program: Command, globals: () => { config?: string }): void {
  program
    .command('init')
    .description('look at the project and write a commented slipway.yml for it (build, run on $PORT, health)')
    .option('--app <name>', 'app name (default: from the directory name)')
    .option('--port <port>', 'public port of the production router', portOption('--port'), 8080)
    .option('--force', 'overwrite an existing file')
    .option('--yes', 'accepted for scripts: init never asks anything, it writes its guesses with comments')
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
      try {
        writeFileSync(file, renderInitTemplate({ app, port: opts.port, guess }));
      } catch (error) {
        throw isDiskFullErrno(error) ? new DiskFullError(file, { cause: error }) : error;
      }
      process.stdout.write(green(`✔ wrote ${file}\n`) + describeGuess(guess));
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
