import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, utils, type ServerChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_EXIT } from '../agent/bridge.js';
import { AgentNotRunningError } from './ssh-errors.js';
import { SshHost } from './ssh-host.js';
import { SshSession } from './ssh-session.js';

// A fast command's whole answer (exec accepted, output, exit status, EOF, close) can reach the client in one read
// when its event loop is busy (a loaded machine, an upload to another host): ssh2 then parses every packet of it
// in one go. The server below sends them that way on purpose, in one synchronous burst, so the exit status arrives
// in the same read as the exec's acceptance. A client that listens for it a tick late never sees it.

interface Answer {
  stdout?: string;
  stderr?: string;
  code?: number;
  signal?: string;
}

let dir: string;
let server: Server;
let port: number;
/** What the server answers to a command line. */
let answer: (command: string) => Answer = () => ({ code: 0 });

function sendAll(stream: ServerChannel, reply: Answer): void {
  if (reply.stdout) stream.write(reply.stdout);
  if (reply.stderr) stream.stderr.write(reply.stderr);
  if (reply.signal) stream.exit(reply.signal, false, '');
  else stream.exit(reply.code ?? 0);
  stream.end();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sw-ssh-session-'));
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  writeFileSync(join(dir, 'client_key'), clientKey.private, { mode: 0o600 });
  server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => ctx.accept());
    client.on('error', () => undefined);
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => {
          // Accepted, answered and closed in one burst: all of it is written before the client reads any of it.
          sendAll(acceptExec(), answer(info.command));
        });
      });
      // No forwarding to unix sockets here (as with AllowStreamLocalForwarding no).
      client.on('openssh.streamlocal', (_accept, reject) => reject());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function endpoint() {
  return {
    name: 'web-1',
    address: '127.0.0.1',
    port,
    user: 'deploy',
    identityFile: join(dir, 'client_key'),
  };
}

const connectOptions = () => ({
  knownHostsFile: join(dir, 'known_hosts'),
  trustNewHosts: true,
  connectTimeoutMs: 5_000,
  projectDir: dir,
  keepaliveIntervalMs: 2_000,
  keepaliveCountMax: 3,
});

describe('SshSession.exec when the whole answer arrives in one read', () => {
  it('reports the exit code, the output and a signal, every time', async () => {
    const session = new SshSession(endpoint(), connectOptions());
    try {
      answer = (command) =>
        command === 'killed'
          ? { signal: 'KILL' }
          : { stdout: `ran ${command}\n`, stderr: 'note\n', code: Number(command.split(' ')[1]) };
      for (let i = 0; i < 20; i++) {
        expect(await session.exec(`exit ${i % 3}`)).toEqual({
          code: i % 3,
          signal: null,
          stdout: `ran exit ${i % 3}\n`,
          stderr: 'note\n',
        });
      }
      const results = await Promise.all(Array.from({ length: 12 }, () => session.exec('exit 0')));
      expect(results.map((r) => r.code)).toEqual(Array.from({ length: 12 }, () => 0));
      expect(await session.exec('killed')).toMatchObject({ code: null, signal: 'SIGKILL' });
    } finally {
      await session.close();
    }
  });
});

describe('SshHost.agent({ start: false }) when the bridge says at once that no agent runs', () => {
  it('is AgentNotRunningError (the exit code of the bridge is not lost)', async () => {
    answer = (command) =>
      command.includes(' bridge ') ? { code: BRIDGE_EXIT.notRunning } : { code: 127, stderr: 'nope\n' };
    const host = new SshHost(
      { ...endpoint(), roles: [], agentHome: '/var/lib/slipway' },
      {
        knownHostsFile: join(dir, 'known_hosts'),
        trustNewHosts: true,
        connectTimeoutMs: 5_000,
        projectDir: dir,
      },
    );
    try {
      for (let i = 0; i < 5; i++) {
        await expect(host.agent({ start: false })).rejects.toBeInstanceOf(AgentNotRunningError);
      }
    } finally {
      await host.close();
    }
  });
});
