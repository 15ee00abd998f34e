import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { SlipwayError } from '../core/errors.js';
import {
  fingerprint,
  keyTypeOf,
  knownKeyTypes,
  loadKnownHosts,
  matchHostKey,
  recordHostKey,
} from './known-hosts.js';
import { HostAuthError, HostKeyError, HostUnreachableError } from './ssh-errors.js';

/** Where and as whom to connect: a host, or the jump host in front of it. */
export interface SshEndpoint {
  /** The name in messages (the host's name, or `jump host`). */
  name: string;
  address: string;
  port: number;
  user: string;
  identityFile?: string | undefined;
}

export interface SshConnectOptions {
  knownHostsFile: string;
  trustNewHosts: boolean;
  connectTimeoutMs: number;
  /** Directory identity files are relative to (the directory of slipway.yml). */
  projectDir: string;
  /** For the hint in host key errors (`slipway setup <env> --trust-new-hosts`). */
  environment?: string | undefined;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
}

/** ssh2's default host key algorithms, in its order. */
const HOST_KEY_ALGORITHMS: readonly ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'name not found',
  EAI_AGAIN: 'name lookup failed',
};

/**
 * Opens an authenticated SSH connection, checking the host key against the known_hosts file first. Through
 * `via` (a connected jump host) when given. Every failure is one of the named host errors, one line each.
 */
export async function openSshConnection(
  endpoint: SshEndpoint,
  options: SshConnectOptions,
  via?: Client,
): Promise<Client> {
  const auth = await loadAuth(endpoint, options.projectDir);
  const known = await loadKnownHosts(options.knownHostsFile);
  const sock = via ? await forwardThrough(via, endpoint) : undefined;
  const client = new Client();
  let refusal: HostKeyError | null = null;

  const config: ConnectConfig = {
    host: endpoint.address,
    port: endpoint.port,
    username: endpoint.user,
    ...auth.config,
    ...(sock ? { sock } : {}),
    readyTimeout: options.connectTimeoutMs,
    keepaliveInterval: options.keepaliveIntervalMs,
    keepaliveCountMax: options.keepaliveCountMax,
    algorithms: {
      serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(known, endpoint.address, endpoint.port)),
    },
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      checkHostKey(endpoint, options, key).then(
        (error) => {
          refusal = error;
          verify(error === null);
        },
        (err: unknown) => {
          refusal = new HostKeyError(endpoint.name, 'unknown', fingerprint(key), String(err));
          verify(false);
        },
      );
    },
  };

  return new Promise<Client>((resolvePromise, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.once('ready', () => {
      settled = true;
      resolvePromise(client);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      fail(refusal ?? describeConnectError(err, endpoint, auth.description, options.connectTimeoutMs));
    });
    client.once('close', () =>
      fail(
        refusal ??
          new HostUnreachableError(
            endpoint.name,
            `the SSH connection to ${describeEndpoint(endpoint)} closed before it was ready`,
          ),
      ),
    );
    try {
      client.connect(config);
    } catch (err) {
      fail(keyLoadError(endpoint, auth.description, err));
    }
  });
}

/** The verdict of the known_hosts file on a presented key: null to accept, or the error that refuses it. */
async function checkHostKey(
  endpoint: SshEndpoint,
  options: SshConnectOptions,
  key: Buffer,
): Promise<HostKeyError | null> {
  const known = await loadKnownHosts(options.knownHostsFile);
  const status = matchHostKey(known, endpoint.address, endpoint.port, key);
  const print = fingerprint(key);
  if (status === 'known') return null;
  if (status === 'unknown' && options.trustNewHosts) {
    await recordHostKey(options.knownHostsFile, endpoint.address, endpoint.port, key);
    return null;
  }
  const where = describeEndpoint(endpoint);
  if (status === 'unknown') {
    return new HostKeyError(
      endpoint.name,
      status,
      print,
      `unknown host key for ${where}: ${keyTypeOf(key)} ${print} is not in ${options.knownHostsFile}`,
      {
        hint: `check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run: slipway setup ${options.environment ?? '<env>'} --trust-new-hosts`,
      },
    );
  }
  return new HostKeyError(
    endpoint.name,
    status,
    print,
    `WARNING: the host key of ${where} has CHANGED (now ${keyTypeOf(key)} ${print}); someone may be intercepting the connection (man-in-the-middle), so Slipway refuses to connect`,
    {
      hint: `if the host was reinstalled and the new key is expected, remove its old line (${endpoint.address}, port ${endpoint.port}) from ${options.knownHostsFile} and run slipway setup ${options.environment ?? '<env>'} --trust-new-hosts`,
    },
  );
}

/** Ask first for key types the known_hosts file holds for the host, as OpenSSH does. Pure. */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): ServerHostKeyAlgorithm[] {
  const preferred = knownTypes.flatMap((type) =>
    type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type],
  );
  const supported = HOST_KEY_ALGORITHMS.filter((a) => preferred.includes(a));
  return [...new Set([...supported, ...HOST_KEY_ALGORITHMS])];
}

/** `~/…` from the home directory, a relative path from the project directory. Pure. */
export function resolveIdentityFile(file: string, projectDir: string, homeDir: string): string {
  if (file === '~') return homeDir;
  if (file.startsWith('~/')) return resolve(homeDir, file.slice(2));
  return isAbsolute(file) ? file : resolve(projectDir, file);
}

export function describeEndpoint(endpoint: SshEndpoint): string {
  return `${endpoint.name} (${endpoint.address}:${endpoint.port})`;
}

/** One clear line for a failed connection: unreachable, authentication, or the SSH error itself. Pure. */
export function describeConnectError(
  err: Error & { level?: string; code?: string },
  endpoint: SshEndpoint,
  authDescription: string,
  connectTimeoutMs: number,
): SlipwayError {
  const where = describeEndpoint(endpoint);
  if (err.level === 'client-authentication') {
    return new HostAuthError(
      endpoint.name,
      `SSH authentication failed for user ${endpoint.user} on ${where} with ${authDescription}`,
      {
        cause: err,
        hint: `check the host's user in slipway.yml and that the public key is in ~${endpoint.user}/.ssh/authorized_keys on the host`,
      },
    );
  }
  const code = err.code ?? (err.level === 'client-timeout' ? 'ETIMEDOUT' : undefined);
  if (code && code in UNREACHABLE_CODES) {
    const what =
      err.level === 'client-timeout'
        ? `no SSH answer within ${formatSeconds(connectTimeoutMs)}`
        : UNREACHABLE_CODES[code];
    return new HostUnreachableError(endpoint.name, `cannot reach ${where}: ${what} (${code})`, {
      cause: err,
      hint: 'check the address and port, that sshd runs there, and firewalls between here and the host',
    });
  }
  if (err.level === 'client-dns') {
    return new HostUnreachableError(endpoint.name, `cannot reach ${where}: ${err.message}`, { cause: err });
  }
  return new HostUnreachableError(endpoint.name, `SSH to ${where} failed: ${err.message}`, { cause: err });
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}

interface Auth {
  config: Pick<ConnectConfig, 'privateKey' | 'agent'>;
  /** `key /path` or `the keys of the ssh-agent (SSH_AUTH_SOCK)`, for messages. */
  description: string;
}

async function loadAuth(endpoint: SshEndpoint, projectDir: string): Promise<Auth> {
  if (endpoint.identityFile) {
    const path = resolveIdentityFile(endpoint.identityFile, projectDir, homedir());
    try {
      return { config: { privateKey: await readFile(path) }, description: `key ${path}` };
    } catch (err) {
      throw new HostAuthError(
        endpoint.name,
        `cannot read the SSH key for ${describeEndpoint(endpoint)}: ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        { cause: err, hint: 'fix identityFile in slipway.yml (relative to slipway.yml, or ~/…)' },
      );
    }
  }
  const agentSocket = process.env.SSH_AUTH_SOCK;
  if (agentSocket) {
    return { config: { agent: agentSocket }, description: 'the keys of the ssh-agent (SSH_AUTH_SOCK)' };
  }
  throw new HostAuthError(
    endpoint.name,
    `no SSH key for ${describeEndpoint(endpoint)}: no identityFile is set and no ssh-agent runs (SSH_AUTH_SOCK is empty)`,
    { hint: 'set identityFile for the host in slipway.yml, or start ssh-agent and ssh-add your key' },
  );
}

function keyLoadError(endpoint: SshEndpoint, authDescription: string, err: unknown): SlipwayError {
  const message = err instanceof Error ? err.message : String(err);
  if (/passphrase/i.test(message)) {
    return new HostAuthError(
      endpoint.name,
      `the SSH ${authDescription} for ${describeEndpoint(endpoint)} is protected by a passphrase`,
      { cause: err, hint: 'load it into ssh-agent (ssh-add) and leave identityFile out' },
    );
  }
  return new HostAuthError(endpoint.name, `cannot use the SSH ${authDescription}: ${message}`, {
    cause: err,
  });
}

function forwardThrough(via: Client, endpoint: SshEndpoint): Promise<Readable> {
  return new Promise((resolvePromise, reject) => {
    via.forwardOut('127.0.0.1', 0, endpoint.address, endpoint.port, (err, stream: ClientChannel) => {
      if (err) {
        reject(
          new HostUnreachableError(
            endpoint.name,
            `cannot reach ${describeEndpoint(endpoint)} through the jump host: ${err.message}`,
            { cause: err },
          ),
        );
      } else {
        resolvePromise(stream);
      }
    });
  });
}
