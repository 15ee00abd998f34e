/** Test-only: TLS clients for the router's TLS tests: `openssl s_client` and node:tls probes. */
import { spawn } from 'node:child_process';
import { connect, type ConnectionOptions } from 'node:tls';

export interface SClientResult {
  /** openssl's exit code (0: the handshake was done). */
  code: number | null;
  /** The leaf's subject CN as s_client printed it; null when it got no certificate. */
  subject: string | null;
  /** The protocol negotiated (`TLSv1.3`, …); null without a handshake. */
  protocol: string | null;
  output: string;
}

/**
 * `openssl s_client` against a loopback port, run asynchronously (the router under test answers in this
 * process). `servername` is sent as SNI (null: none).
 */
export function sClient(
  port: number,
  servername: string | null,
  extra: readonly string[] = [],
): Promise<SClientResult> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, ...extra];
  args.push(...(servername === null ? ['-noservername'] : ['-servername', servername]));
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.stdin.end(); // EOF on stdin: s_client closes after the handshake
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const subject = /^subject=.*?CN\s*=\s*([^,\n]+)/m.exec(output)?.[1]?.trim() ?? null;
      const protocol = /^\s*Protocol\s*:\s*(\S+)/m.exec(output)?.[1] ?? null;
      const handshaken = !/no peer certificate available/.test(output) && subject !== null;
      resolve({ code, subject: handshaken ? subject : null, protocol: handshaken ? protocol : null, output });
    });
  });
}

export interface Handshake {
  ok: boolean;
  /** SHA-256 fingerprint of the certificate the server sent; null when none. */
  fingerprint256: string | null;
  /** The names of that certificate (subjectAltName); null when none. */
  subjectAltName: string | null;
  protocol: string | null;
  cipher: string | null;
  alpn: string | false | null;
  error: string | null;
}

/** One handshake with node:tls (not verifying unless `ca` is given), then the socket is closed. */
export function probeTls(port: number, opts: ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: opts.ca !== undefined,
      ALPNProtocols: ['http/1.1'],
      ...opts,
    });
    let settled = false;
    const done = (result: Handshake): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const has = cert !== undefined && Object.keys(cert).length > 0;
      done({
        ok: true,
        fingerprint256: has ? cert.fingerprint256 : null,
        subjectAltName: has ? (cert.subjectaltname ?? null) : null,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher()?.name ?? null,
        alpn: socket.alpnProtocol ?? null,
        error: null,
      });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      done({
        ok: false,
        fingerprint256: null,
        subjectAltName: null,
        protocol: null,
        cipher: null,
        alpn: null,
        error: err.code ?? err.message,
      });
    });
  });
}
