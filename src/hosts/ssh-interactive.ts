import { posix } from 'node:path';
import { HostCommandError } from '../core/errors.js';
import { quoteArgv, quoteWord } from '../core/quote-argv.js';
import type { InteractiveLaunch } from '../runtime/interactive-launch.js';
import type { SshSession } from './ssh-session.js';
import { releaseDirFor } from '../agent/release-dirs.js';

/**
 * The environment of an interactive command as a script the remote shell sources: the agent's node first on PATH
 * (as targets have it), then each variable, single-quoted. Pure.
 */
export function renderEnvScript(env: Record<string, string>, nodeDir: string): string {
  const lines = [`export PATH=${quoteWord(nodeDir)}:"$PATH"`];
  for (const [name, value] of Object.entries(env)) lines.push(`export ${name}=${quoteWord(value)}`);
  return `${lines.join('\n')}\n`;
}

/** Sources the environment file, removes it, moves into the directory and becomes the command. */
const WRAPPER = '. "$1/env" && rm -rf "$1" && cd "$2" && shift 2 && exec "$@"';

/**
 * Runs an interactive command on an SSH host with the user's terminal. The environment, secrets included, must not
 * be on a command line (other users see those in `ps`), and a pseudo-terminal's input is echoed, so it goes first
 * through a plain exec's stdin into a 0600 file in a fresh private directory, which the command's shell sources and
 * removes before the command starts. Then a second exec, with a pseudo-terminal for `tty`, runs the command with
 * this process's stdin, stdout and stderr, in raw mode while it runs, following the terminal's size.
 */
export async function runInteractiveOverSsh(
  session: SshSession,
  host: string,
  paths: { node: string; releases: string },
  launch: InteractiveLaunch,
): Promise<{ code: number | null; signal: string | null }> {
  const handOver = ['sh', '-c', 'umask 077 && d=$(mktemp -d) && cat > "$d/env" && echo "$d"'];
  const made = await session.exec(
    quoteArgv(handOver),
    renderEnvScript(launch.env, posix.dirname(paths.node)),
  );
  const dir = made.stdout.trim();
  if (made.code !== 0 || !dir.startsWith('/')) {
    throw new HostCommandError(host, handOver, made.code, made.stderr.trim());
  }
  const { inRelease } = launch;
  const cwd = inRelease ? releaseDirFor(paths.releases, inRelease.app, inRelease.release) : '/';
  const command = quoteArgv(['sh', '-c', WRAPPER, 'slipway-run', dir, cwd, ...launch.argv]);
  const { stdin, stdout, stderr } = process;
  const pty = launch.tty
    ? { rows: stdout.rows || 24, cols: stdout.columns || 80, term: process.env.TERM ?? 'xterm' }
    : null;
  const channel = await session.openInteractive(command, pty);
  const raw = launch.tty && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const onResize = (): void => void channel.setWindow(stdout.rows, stdout.columns, 0, 0);
  stdout.on('resize', onResize);
  stdin.pipe(channel);
  channel.pipe(stdout, { end: false });
  channel.stderr.pipe(stderr, { end: false });
  return new Promise((resolve) => {
    let ended: { code: number | null; signal: string | null } = { code: null, signal: null };
    channel.on('exit', (code: number | null, signal?: string) => {
      ended = { code: signal ? null : code, signal: signal ? `SIG${signal}` : null };
    });
    channel.once('close', () => {
      stdin.unpipe(channel);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdout.off('resize', onResize);
      resolve(ended);
    });
  });
}
