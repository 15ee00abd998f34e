import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface LoadReport {
  total: number;
  failed: number;
  /** Count of responses per release (from the x-release header). */
  byRelease: Record<string, number>;
  /** Count of failed responses per release (x-release header; `none` for socket errors and unnamed answers). */
  failedByRelease: Record<string, number>;
  failures: string[];
  /** The longest a request took, answered or failed (ms). */
  slowestMs: number;
  /** When failed requests ended (performance.now(), the first 1000): where in a fault the failures fell. */
  failedAtMs: number[];
}

/**
 * A bounded load loop: `concurrency` keep-alive clients send GET / (or each of `paths` in turn) until stopped,
 * `maxRequests` were sent or `maxMs` passed, whichever comes first. A request fails on a socket error, any non-200
 * status, a body without `bodyMustContain` (a front door sent it to another route), or when it takes longer than
 * `timeoutMs` (as a user's client would give up).
 */
export function startLoad(
  url: string,
  options: {
    concurrency?: number;
    maxRequests?: number;
    maxMs?: number;
    timeoutMs?: number;
    /** Sent with every request (e.g. the Host a front door routes by). */
    headers?: Record<string, string>;
    /** TLS options of the connections (e.g. `ca` and `servername` for an HTTPS front door). */
    connect?: { ca?: string; servername?: string };
    /** The paths requested, in turn (default `/`). */
    paths?: readonly string[];
    /** Every answer's body must contain this (which app answered). */
    bodyMustContain?: string;
  } = {},
) {
  const concurrency = options.concurrency ?? 4;
  const maxRequests = options.maxRequests ?? 50_000;
  const deadline = Date.now() + (options.maxMs ?? 30_000);
  const pool = new Pool(url, {
    connections: concurrency,
    pipelining: 1,
    ...(options.connect ? { connect: options.connect } : {}),
  });
  const report: LoadReport = {
    total: 0,
    failed: 0,
    byRelease: {},
    failedByRelease: {},
    failures: [],
    slowestMs: 0,
    failedAtMs: [],
  };
  let stopped = false;
  let sent = 0;
  const paths = options.paths ?? ['/'];
  const fail = (release: string, why: string): void => {
    report.failed++;
    if (report.failedAtMs.length < 1000) report.failedAtMs.push(performance.now());
    report.failedByRelease[release] = (report.failedByRelease[release] ?? 0) + 1;
    if (report.failures.length < 10) report.failures.push(why);
  };
  const worker = async (): Promise<void> => {
    while (!stopped && sent < maxRequests && Date.now() < deadline) {
      const path = paths[sent++ % paths.length] ?? '/';
      const where = paths.length > 1 ? `${path}: ` : '';
      const startedMs = performance.now();
      try {
        const signal = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
        const res = await pool.request({ path, method: 'GET', signal, headers: options.headers });
        const body = await res.body.text();
        report.total++;
        const release = String(res.headers['x-release'] ?? 'none');
        report.byRelease[release] = (report.byRelease[release] ?? 0) + 1;
        if (res.statusCode !== 200) fail(release, `${where}status ${res.statusCode}`);
        else if (options.bodyMustContain !== undefined && !body.includes(options.bodyMustContain))
          fail(release, `${where}answered ${JSON.stringify(body.slice(0, 200))}`);
      } catch (err) {
        report.total++;
        fail('none', `${where}${String(err)}`);
      } finally {
        report.slowestMs = Math.max(report.slowestMs, performance.now() - startedMs);
      }
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    /** Waits until at least n responses came back (so the load is really flowing). */
    async warm(n = 20): Promise<void> {
      while (report.total < n && Date.now() < deadline && !stopped)
        await new Promise((r) => setTimeout(r, 10));
    },
    async stop(): Promise<LoadReport> {
      stopped = true;
      await running;
      await pool.close();
      return report;
    },
  };
}
