import { spawn } from 'node:child_process';
import { quoteArgv } from '../../src/core/quote-argv.js';
import { CLI } from './project.js';

/**
 * Runs the built CLI with `args` and `input` on its stdin. With `terminal`, inside script(1): the CLI gets a
 * pseudo-terminal as a user's shell would give it, and the input is typed a moment later; without, it is piped.
 * Stdout and stderr are collected together (a terminal mixes them too).
 */
export function runCliWithInput(
  args: string[],
  input: string,
  options: { terminal: boolean; typeAfterMs?: number },
): Promise<{ code: number | null; output: string }> {
  const cli = [process.execPath, CLI, ...args];
  const [file, ...argv] = options.terminal ? ['script', '-qefc', quoteArgv(cli), '/dev/null'] : cli;
  const child = spawn(file ?? process.execPath, argv, { env: { ...process.env, NO_COLOR: '1' } });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  setTimeout(() => child.stdin.end(input), options.terminal ? (options.typeAfterMs ?? 1500) : 0);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}
