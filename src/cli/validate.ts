import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { green } from './progress-renderer.js';

export function registerValidate(program: Command, globals: () => { config?: string }): void {
  program
    .command('validate')
    .description('check slipway.yml: every problem with file, line and key path')
    .action(async () => {
      const { file, config } = await loadConfig(globals().config);
      const envs = Object.keys(config.environments).join(', ');
      process.stdout.write(green(`✔ ${file} is valid`) + ` (app ${config.app}; environments: ${envs})\n`);
    });
}
