import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Pool } from 'undici';
import { REPO_ROOT, runCli, type CliResult } from './project.js';

// What the front door's end-to-end tests share: a project of examples/hello whose CLI runs with a given state
// directory (several projects, one agent and router process, as apps deployed to one host share it), and the
// two ways of asking a front door something by name.

export interface FrontDoorApp {
  dir: string;
  cli(args: string[]): Promise<CliResult>;
  /** Writes slipway.yml. */
  write(yaml: string): void;
}

/** A copy of examples/hello in a temp directory (`prefix`), its CLI using `stateDir`. */
export function createFrontDoorApp(stateDir: string, prefix = 'sw-fd-'): FrontDoorApp {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const config = join(dir, 'slipway.yml');
  return {
    dir,
    cli: (args) => runCli(['-c', config, '--state-dir', stateDir, ...args]),
    write: (yaml) => writeFileSync(config, yaml),
  };
}

/**
 * One GET by name on a front door at 127.0.0.1:`port`: Host `host`, and over HTTPS the SNI `sni` (default: the
 * host) with `ca` trusted. A new connection each time.
 */
export async function getByName(
  url: { scheme: 'http' | 'https'; port: number; ca?: string },
  host: string,
  options: { path?: string; sni?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const pool = new Pool(`${url.scheme}://127.0.0.1:${url.port}`, {
    connect: url.scheme === 'https' ? { ca: url.ca, servername: options.sni ?? host } : {},
  });
  try {
    const res = await pool.request({ path: options.path ?? '/', method: 'GET', headers: { host } });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  } finally {
    await pool.close();
  }
}

/** The certificate a TLS port at 127.0.0.1 serves for `name` on a new connection, verified against `ca`. */
export function servedCertificate(port: number, name: string, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: name, ca }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}
