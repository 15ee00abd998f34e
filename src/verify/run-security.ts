import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { Host } from '../hosts/host.js';
import { parseProcNetTcpListeners, parseSsListeners, type Listener } from '../hosts/host-facts.js';
import { checkHeaders } from './check-headers.js';
import type { Endpoint } from './endpoint.js';
import { judgeForbiddenPath, judgeListeners, judgeTls, type TlsObservation } from './judge-security.js';
import { describeFetchError, fetchAnswer } from './run-smoke.js';
import type { VerificationCheck } from './verification-check.js';
import type { FrontDoorTlsPlan, SecurityPlan } from './verify-suite.js';

const REQUEST_TIMEOUT_MS = 5_000;

/**
 * Security headers, forbidden paths (one check each), TLS (of an https url, or of each name on the front door), and
 * listening ports per host.
 */
export async function runSecurityChecks(
  endpoint: Endpoint,
  plan: SecurityPlan,
  hosts: readonly Host[],
  nowMs: () => number,
): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  if (Object.keys(plan.headers).length > 0) checks.push(await checkSecurityHeaders(endpoint, plan));
  for (const path of plan.forbiddenPaths) checks.push(await checkForbiddenPath(endpoint, path));
  if (plan.tls && endpoint.baseUrl.startsWith('https:'))
    checks.push(await checkTls(endpoint, plan.tls, nowMs));
  if (plan.tls && plan.frontDoor)
    checks.push(...(await checkFrontDoorTls(plan.frontDoor, endpoint.ca, plan.tls, nowMs)));
  if (plan.allowedPorts) {
    for (const host of hosts) checks.push(await checkPorts(host, plan.allowedPorts));
  }
  return checks;
}

async function checkSecurityHeaders(endpoint: Endpoint, plan: SecurityPlan): Promise<VerificationCheck> {
  const name = `headers on ${plan.path}`;
  try {
    const answer = await fetchAnswer(`${endpoint.baseUrl}${plan.path}`, {
      timeoutMs: REQUEST_TIMEOUT_MS,
      ca: endpoint.ca,
    });
    const problems = checkHeaders(plan.headers, answer.headers);
    return {
      name,
      kind: 'security',
      passed: problems.length === 0,
      measured: { status: answer.status, missing: problems.length },
      message: problems.length ? problems.join('; ') : `${Object.keys(plan.headers).join(', ')} present`,
    };
  } catch (err) {
    return { name, kind: 'security', passed: false, measured: {}, message: describeFetchError(err) };
  }
}

async function checkForbiddenPath(endpoint: Endpoint, path: string): Promise<VerificationCheck> {
  try {
    const answer = await fetchAnswer(`${endpoint.baseUrl}${path}`, {
      timeoutMs: REQUEST_TIMEOUT_MS,
      ca: endpoint.ca,
    });
    const problem = judgeForbiddenPath(answer.status);
    return {
      name: path,
      kind: 'security',
      passed: problem === null,
      measured: { status: answer.status },
      message: problem ?? `not served (${answer.status})`,
    };
  } catch (err) {
    // Without an answer nothing was checked (a TLS error, the environment down): that is no pass.
    return {
      name: path,
      kind: 'security',
      passed: false,
      measured: { status: null },
      message: `could not check: ${describeFetchError(err)}`,
    };
  }
}

/** Where a TLS handshake goes: the address and port, and the name asked for (SNI when it is a name). */
interface TlsTarget {
  address: string;
  port: number;
  name: string;
}

function observeTls(target: TlsTarget, ca: string[] | null): Promise<TlsObservation> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({
      host: target.address,
      port: target.port,
      // SNI takes host names only (RFC 6066).
      ...(isIP(target.name) ? {} : { servername: target.name }),
      // Judged below (judgeTls) rather than refused, so that the result names the reason.
      rejectUnauthorized: false,
      ...(ca ? { ca } : {}),
    });
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      const date = (text: string | undefined): number | null => (text ? Date.parse(text) : null);
      const observation: TlsObservation = {
        protocol: socket.getProtocol(),
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
        validFromMs: date(cert.valid_from),
        validToMs: date(cert.valid_to),
        name: target.name,
        coversName: cert.raw !== undefined && checkServerIdentity(target.name, cert) === undefined,
        certificateNames: cert.subjectaltname ?? '',
      };
      socket.end();
      resolve(observation);
    });
  });
}

/** The https url's certificate and protocol (`tls <host:port>`). */
function checkTls(
  endpoint: Endpoint,
  tls: NonNullable<SecurityPlan['tls']>,
  nowMs: () => number,
): Promise<VerificationCheck> {
  const url = new URL(endpoint.baseUrl);
  const address = url.hostname.replace(/^\[|\]$/g, '');
  return checkTlsAt(
    `tls ${url.host}`,
    { address, port: Number(url.port || 443), name: address },
    endpoint.ca,
    tls,
    nowMs,
  );
}

/** One check per name on the front door (`tls shop.test:443 (front door at 10.0.0.5)`): the certificate it gets. */
async function checkFrontDoorTls(
  door: FrontDoorTlsPlan,
  ca: string[] | null,
  tls: NonNullable<SecurityPlan['tls']>,
  nowMs: () => number,
): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  for (const name of door.names) {
    const check = `tls ${name}:${door.port} (front door at ${door.address})`;
    checks.push(await checkTlsAt(check, { address: door.address, port: door.port, name }, ca, tls, nowMs));
  }
  return checks;
}

async function checkTlsAt(
  name: string,
  target: TlsTarget,
  ca: string[] | null,
  tls: NonNullable<SecurityPlan['tls']>,
  nowMs: () => number,
): Promise<VerificationCheck> {
  try {
    const seen = await observeTls(target, ca);
    const problems = judgeTls(seen, nowMs(), tls);
    const daysLeft = seen.validToMs === null ? null : Math.floor((seen.validToMs - nowMs()) / 86_400_000);
    return {
      name,
      kind: 'security',
      passed: problems.length === 0,
      measured: { protocol: seen.protocol, daysLeft, authorized: seen.authorized },
      message: problems.length
        ? problems.join('; ')
        : `${seen.protocol ?? '?'}, certificate for ${seen.name} valid ${daysLeft ?? '?'} more days`,
    };
  } catch (err) {
    return {
      name,
      kind: 'security',
      passed: false,
      measured: {},
      message: `TLS connection failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/** The host's TCP listeners: `ss -ltn`, or the kernel's tables where iproute2 is missing. */
export async function readHostListeners(host: Host): Promise<Listener[] | null> {
  const ss = await host.exec(['ss', '-ltn']);
  if (ss.code === 0) return parseSsListeners(ss.stdout);
  const proc = await host.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6']);
  return proc.stdout ? parseProcNetTcpListeners(proc.stdout) : null;
}

async function checkPorts(host: Host, allowed: number[]): Promise<VerificationCheck> {
  const name = `ports on ${host.name}`;
  try {
    const listeners = await readHostListeners(host);
    if (!listeners)
      return {
        name,
        kind: 'security',
        passed: false,
        measured: {},
        message: 'could not read listening ports',
      };
    const open = judgeListeners(listeners, allowed);
    return {
      name,
      kind: 'security',
      passed: open.length === 0,
      measured: { listeners: listeners.length, unexpected: open.length },
      message: open.length
        ? `listening beyond the allowed ports (${allowed.join(', ')}): ${open.join(', ')}`
        : `only allowed ports (${allowed.join(', ')}) listen beyond loopback`,
    };
  } catch (err) {
    return {
      name,
      kind: 'security',
      passed: false,
      measured: {},
      message: err instanceof Error ? err.message : String(err),
    };
  }
}
