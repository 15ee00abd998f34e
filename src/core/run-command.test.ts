import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCommand, type CommandOptions } from './run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'sw-secret-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = (command: CommandOptions['command'], more: Partial<CommandOptions> = {}) => ({
  command,
  timeoutMs: 10_000,
  cwd: dir,
  env: { PATH: process.env.PATH, SHOP_FIELD: 'url' },
  maxStdoutBytes: 1024,
  ...more,
});

describe('runCommand', () => {
  it('runs a string through sh -c, in cwd, with the env given and no stdin', async () => {
    writeFileSync(join(dir, 'value.txt'), 'from-file');
    const run = await runCommand(
      options('printf "%s:" "$SHOP_FIELD"; cat value.txt; read line || printf " (no stdin)"; echo'),
    );
    expect(run).toEqual({ kind: 'exited', code: 0, stdout: 'url:from-file (no stdin)\n', stderr: '' });
  });

  it('runs an argv without a shell: no expansion', async () => {
    const run = await runCommand(options(['printf', '%s', '$SHOP_FIELD; echo x']));
    expect(run).toMatchObject({ kind: 'exited', code: 0, stdout: '$SHOP_FIELD; echo x' });
  });

  it('gives the exit code with stdout and stderr', async () => {
    const run = await runCommand(options('echo partial; echo "not signed in" >&2; exit 3'));
    expect(run).toEqual({ kind: 'exited', code: 3, stdout: 'partial\n', stderr: 'not signed in\n' });
  });

  it('kills a command past its timeout, with what it started', async () => {
    const pidFile = join(dir, 'child.pid');
    const run = await runCommand(
      options(`sleep 30 & echo $! > ${pidFile}; echo waiting >&2; wait`, { timeoutMs: 300 }),
    );
    expect(run).toMatchObject({ kind: 'timed-out', stderr: 'waiting\n' });
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(await goneOrZombie(pid)).toBe(true);
  });

  it('stops a command that prints more than the limit and keeps none of it', async () => {
    const run = await runCommand(options('head -c 5000 /dev/zero | tr "\\0" a; sleep 30'));
    expect(run).toEqual({ kind: 'too-large', stderr: '' });
  });

  it('says when a program is not there', async () => {
    const run = await runCommand(options(['no-such-manager-cli-7f3a', 'read']));
    expect(run).toMatchObject({ kind: 'not-started' });
    expect(run.kind === 'not-started' && run.message).toContain('ENOENT');
  });
});

/** Whether the process is gone, or dead and waiting to be reaped (a zombie is not running), within 5s. */
async function goneOrZombie(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return true;
    }
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
