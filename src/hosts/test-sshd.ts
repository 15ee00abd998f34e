/**
 * Test-only: a throwaway OpenSSH server on a free loopback port, with its own host key and one authorized
 * client key. Not imported by production code.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { findFreePort, sleep } from '../agent/process-util.js';

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface TestSshd {
  port: number;
  pid: number;
  /** Temp directory holding keys, config and (by convention) the agent home. */
  dir: string;
  clientKey: string;
  hostKeyPublicBlob: Buffer;
  stop(): Promise<void>;
}

export function generateKey(path: string, type: 'ed25519' | 'ecdsa' = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'slipway-test', '-f', path], {
    stdio: 'ignore',
  });
}

/** The key blob of an OpenSSH public key file (`type base64 comment`). */
export function publicKeyBlob(pubFile: string): Buffer {
  const base64 = readFileSync(pubFile, 'utf8').trim().split(/\s+/)[1] ?? '';
  return Buffer.from(base64, 'base64');
}

export async function startTestSshd(
  options: { dir?: string; hostKeyType?: 'ed25519' | 'ecdsa'; extraConfig?: string[] } = {},
): Promise<TestSshd> {
  const dir = options.dir ?? mkdtempSync('/tmp/sw-ssh-');
  const hostKey = join(dir, `host_key_${Date.now()}`);
  const clientKey = join(dir, 'client_key');
  generateKey(hostKey, options.hostKeyType ?? 'ed25519');
  if (!existsSync(clientKey)) generateKey(clientKey);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  // sshd insists on its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await findFreePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'LogLevel ERROR',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const child = spawn(SSHD_BINARY, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForPort(port, child, () => stderr);
  return {
    port,
    pid: child.pid ?? 0,
    dir,
    clientKey,
    hostKeyPublicBlob: publicKeyBlob(`${hostKey}.pub`),
    stop: () => stopChild(child),
  };
}

export function removeTestDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}): ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`sshd did not listen on ${port}: ${stderr()}`);
}

/** Kills the per-connection sshd processes (as a dropped network would end them), keeping the listener. */
export function killSshdSessions(sshd: Pick<TestSshd, 'pid'>): number {
  // Only sshd itself: an agent the bridge started may still be a descendant and must live on.
  const victims = descendants(sshd.pid).filter((pid) => commandName(pid) === 'sshd');
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return victims.length;
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function descendants(pid: number): number[] {
  let output = '';
  try {
    output = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // pgrep exits 1 when there is none
  }
  const children = output.split('\n').filter(Boolean).map(Number);
  return [...children, ...children.flatMap(descendants)];
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined) killSshdSessions({ pid: child.pid });
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  });
}
