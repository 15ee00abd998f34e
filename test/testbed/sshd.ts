import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { commandEnv, requireBinary, runChecked, sleep } from './command.js';

export const SSHD_BINARY = '/usr/sbin/sshd';
export const HOST_DATA_MOUNT = '/var/lib/slipway';
const READY_TIMEOUT_MS = 15_000;

export interface PublicKey {
  /** `ssh-ed25519 AAAA…` without a comment. */
  line: string;
  fingerprint: string;
}

export async function generateEd25519Key(path: string, comment: string): Promise<PublicKey> {
  await runChecked(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  return parsePublicKey(await readFile(`${path}.pub`, 'utf8'));
}

/** The OpenSSH fingerprint (SHA256:… base64 without padding) of a `type base64 [comment]` line. */
export function parsePublicKey(text: string): PublicKey {
  const [type, blob] = text.trim().split(/\s+/);
  if (type === undefined || blob === undefined) throw new Error(`testbed: not a public key: ${text}`);
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return { line: `${type} ${blob}`, fingerprint: `SHA256:${digest.replace(/=+$/, '')}` };
}

export interface SshdFiles {
  address: string;
  hostKeyPath: string;
  authorizedKeysPath: string;
  pidFile: string;
  /** Who may log in: root and the testbed's own accounts, never another account of the machine. */
  allowUsers: readonly string[];
}

export function renderSshdConfig(files: SshdFiles): string {
  return [
    `ListenAddress ${files.address}`,
    'Port 22',
    'AddressFamily inet',
    `HostKey ${files.hostKeyPath}`,
    `PidFile ${files.pidFile}`,
    `AuthorizedKeysFile ${files.authorizedKeysPath}`,
    'PermitRootLogin prohibit-password',
    `AllowUsers ${files.allowUsers.join(' ')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PrintMotd no',
    'PrintLastLog no',
    'X11Forwarding no',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

export interface SshdLaunch {
  netns: string;
  hostname: string;
  address: string;
  dataDir: string;
  tmpDir: string;
  /** Becomes the host's /run; must contain sshd/ (sshd's privilege separation directory). */
  runDir: string;
  configPath: string;
  pidFile: string;
  logPath: string;
}

// Fixed script, inputs as positional parameters. It runs in a fresh mount (and UTS) namespace inside
// the host's netns: drop our copy of /run/netns (it would pin other testbeds' namespaces), give the
// host its own /var/lib/slipway, /tmp, /run and hostname, then become sshd so every session inherits
// them. A private /run also hides the machine's systemd: a host never starts units on the machine.
const SSHD_SCRIPT = [
  'set -e',
  '"$2" -l /run/netns 2>/dev/null || true',
  `"$1" --bind "$5" ${HOST_DATA_MOUNT}`,
  '"$1" --bind "$6" /tmp',
  '"$1" --bind "$7" /run',
  '"$3" "$4"',
  'exec "$8" -D -e -f "$9"',
].join('\n');

/** Starts the host's sshd and resolves with its pid once it answers with an SSH banner. */
export async function startSshd(launch: SshdLaunch): Promise<number> {
  const log = openSync(launch.logPath, 'a');
  const argv = [
    'netns',
    'exec',
    launch.netns,
    requireBinary('unshare'),
    '--mount',
    '--uts',
    '--propagation',
    'private',
    requireBinary('sh'),
    '-c',
    SSHD_SCRIPT,
    'sh',
    requireBinary('mount'),
    requireBinary('umount'),
    requireBinary('hostname'),
    launch.hostname,
    launch.dataDir,
    launch.tmpDir,
    launch.runDir,
    SSHD_BINARY,
    launch.configPath,
  ];
  // Detached: sshd outlives a crashed test process on purpose, so that the next run's sweep is tested
  // against what a crash really leaves; destroy() and the sweep kill it by pid.
  const child = spawn(requireBinary('ip'), argv, {
    detached: true,
    stdio: ['ignore', log, log],
    env: commandEnv,
  });
  closeSync(log);
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited with ${signal ?? code}`));
  child.once('error', (error) => (exit = error.message));
  child.unref();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersSsh(launch.address))) {
    if (exit !== undefined || Date.now() > deadline) {
      const reason = exit ?? `not answering after ${READY_TIMEOUT_MS} ms`;
      const tail = (await readFile(launch.logPath, 'utf8').catch(() => '')).slice(-2000);
      if (exit === undefined) child.kill('SIGKILL');
      throw new Error(`testbed: sshd for ${launch.hostname} (${launch.address}) ${reason}\n${tail}`);
    }
    await sleep(50);
  }
  const pid = Number((await readFile(launch.pidFile, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`testbed: bad sshd pid file ${launch.pidFile}`);
  return pid;
}

/** True when address:22 accepts a TCP connection and sends an SSH identification string. */
export function answersSsh(address: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port: 22 });
    let banner = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      banner += chunk.toString('latin1');
      if (banner.includes('\n')) done(banner.startsWith('SSH-'));
    });
    socket.on('end', () => done(false));
  });
}

export async function writeKnownHosts(path: string, lines: string[]): Promise<void> {
  await writeFile(path, lines.map((line) => `${line}\n`).join(''), { mode: 0o644 });
}
