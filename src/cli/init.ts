import { existsSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import { DiskFullError, isDiskFullErrno, SlipwayError } from '../core/errors.js';
import { DEFAULTS } from '../config/defaults.js';
import { deriveAppName, renderInitTemplate } from '../config/init-template.js';
import { green } from './progress-renderer.js';

export function registerInit(program: Command, globals: () => { config?: string }): void {
  program
    .command('init')
    .description('write a commented starter slipway.yml')
    .option('--app <name>', 'app name (default: from the directory name)')
    .option('--port <port>', 'public port of the production router', '8080')
    .option('--force', 'overwrite an existing file')
    .action((opts: { app?: string; port: string; force?: boolean }) => {
      const file = resolve(globals().config ?? DEFAULTS.configFile);
      if (existsSync(file) && !opts.force) {
        throw new SlipwayError(`${file} already exists`, { hint: 'use --force to overwrite it' });
      }
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new SlipwayError(`--port ${opts.port} is not a port number`);
      try {
        writeFileSync(
          file,
          renderInitTemplate({ app: opts.app ?? deriveAppName(basename(process.cwd())), port }),
        );
      } catch (error) {
        throw isDiskFullErrno(error) ? new DiskFullError(file, { cause: error }) : error;
      }
      process.stdout.write(
        green(`✔ wrote ${file}\n`) +
          'next: edit run.command and healthCheck.path, then run "slipway validate"\n',
      );
    });
}
