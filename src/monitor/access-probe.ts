import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface ProbeSpec {
  url: string;
  timeoutMs: number;
  /** Statuses that count as up; empty means any 2xx or 3xx. */
  expectStatus: readonly number[];
  /** With https: a certificate valid for less than this counts as a failure. */
  tlsMinValidityMs: number;
  /**
   * Connect to this address instead of the URL's host, which is still the name asked for (Host, and SNI with
   * https): a front door reached by name before, or without, DNS pointing at it. Null: the URL's host.
   */
  connectTo?: string | null;
  /** With https: the CAs to trust (PEM); null: the system's. */
  ca?: string[] | null;
}

export interface ProbeResult {
  url: string;
  /** The address connected to when it is not the URL's host (`connectTo`). */
  via: string | null;
  ok: boolean;
  status: number | null;
  latencyMs: number | null;
  /** Why it failed: refused, timed out, unexpected status, certificate problem. */
  error: string | null;
  tls: { validToMs: number; issuer: string; subject: string } | null;
}

/**
 * Checks the public address the way a user reaches it: one GET from the control plane (no keep-alive, no
 * redirects followed), with the status, the time to the response head and, for https, the certificate (the
 * chain must verify, and it must stay valid for `tlsMinValidityMs`). `nowMs` and `elapsedMs` come from the caller.
 */
export function runAccessProbe(spec: ProbeSpec, nowMs: () => number): Promise<ProbeResult> {
  const url = new URL(spec.url);
  const started = performance.now();
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<ProbeResult, 'url' | 'via'>): void => {
      if (settled) return;
      settled = true;
      resolve({ url: spec.url, via: spec.connectTo ?? null, ...r });
    };
    const req = request(
      url,
      {
        method: 'GET',
        agent: false,
        timeout: spec.timeoutMs,
        headers: { 'user-agent': 'slipway-probe', host: url.host },
        ...(spec.connectTo ? { hostname: spec.connectTo, servername: url.hostname } : {}),
        ...(spec.ca ? { ca: spec.ca } : {}),
      },
      (res) => {
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        const status = res.statusCode ?? 0;
        let tls: ProbeResult['tls'] = null;
        let tlsError: string | null = null;
        if (url.protocol === 'https:') {
          const cert = (res.socket as TLSSocket).getPeerCertificate();
          const validToMs = Date.parse(cert.valid_to);
          tls = { validToMs, issuer: firstOf(cert.issuer?.CN), subject: firstOf(cert.subject?.CN) };
          if (validToMs - nowMs() < spec.tlsMinValidityMs)
            tlsError = `the certificate expires ${new Date(validToMs).toISOString()}`;
        }
        res.resume();
        const expected =
          spec.expectStatus.length > 0 ? spec.expectStatus.includes(status) : status >= 200 && status < 400;
        finish({
          ok: expected && tlsError === null,
          status,
          latencyMs,
          error: tlsError ?? (expected ? null : `unexpected status ${status}`),
          tls,
        });
      },
    );
    req.on('timeout', () => {
      req.destroy();
      finish({
        ok: false,
        status: null,
        latencyMs: null,
        error: `no answer within ${spec.timeoutMs}ms`,
        tls: null,
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, status: null, latencyMs: null, error: describeProbeError(err), tls: null }),
    );
    req.end();
  });
}

/** A certificate the client refused (Node's OpenSSL verify codes, the host name check): says so, with the code. */
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|ISSUER|LEAF_SIGNATURE|ERR_TLS_/;

function describeProbeError(err: NodeJS.ErrnoException): string {
  if (err.code && CERTIFICATE_ERROR.test(err.code))
    return `certificate not accepted: ${err.message} (${err.code})`;
  return err.code ?? err.message;
}

/** The probe's target as a line: `https://shop.test:8443/ via 127.0.0.1`. */
export function describeProbeTarget(probe: Pick<ProbeResult, 'url' | 'via'>): string {
  return probe.via ? `${probe.url} via ${probe.via}` : probe.url;
}

function firstOf(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}
