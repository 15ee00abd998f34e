import { Pool } from 'undici';

/**
 * A load loop for a front door's routes: like `startLoad` (./load-loop.ts), keep-alive clients send GETs until
 * stopped, but to a list of paths in turn, and each answer must also come from the right app. A request fails
 * on a socket error, a status other than 200, or a body without `bodyMustContain` (the front door sent it to
 * another route).
 */
export interface RoutedLoadReport {
  total: number;
  failed: number;
  /** Count of answers per release (x-release header). */
  byRelease: Record<string, number>;
  /** The first failures, each with its path. */
  failures: string[];
}

export function startRoutedLoad(
  url: string,
  options: {
    paths: readonly string[];
    bodyMustContain: string;
    headers?: Record<string, string>;
    connect?: { ca?: string; servername?: string };
    concurrency?: number;
    maxMs?: number;
  },
) {
  const concurrency = options.concurrency ?? 2;
  const deadline = Date.now() + (options.maxMs ?? 30_000);
  const pool = new Pool(url, {
    connections: concurrency,
    pipelining: 1,
    ...(options.connect ? { connect: options.connect } : {}),
  });
  const report: RoutedLoadReport = { total: 0, failed: 0, byRelease: {}, failures: [] };
  let stopped = false;
  let sent = 0;
  const fail = (why: string): void => {
    report.failed++;
    if (report.failures.length < 10) report.failures.push(why);
  };
  const worker = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline) {
      const path = options.paths[sent++ % options.paths.length] ?? '/';
      try {
        const res = await pool.request({ path, method: 'GET', headers: options.headers });
        const body = await res.body.text();
        report.total++;
        const release = String(res.headers['x-release'] ?? 'none');
        report.byRelease[release] = (report.byRelease[release] ?? 0) + 1;
        if (res.statusCode !== 200) fail(`${path}: status ${res.statusCode}`);
        else if (!body.includes(options.bodyMustContain)) fail(`${path}: answered ${JSON.stringify(body)}`);
      } catch (err) {
        report.total++;
        fail(`${path}: ${String(err)}`);
      }
    }
  };
  const running = Promise.all(Array.from({ length: concurrency }, worker));
  return {
    /** Waits until at least n answers came back (so the load is really flowing). */
    async warm(n = 20): Promise<void> {
      while (report.total < n && Date.now() < deadline && !stopped)
        await new Promise((r) => setTimeout(r, 10));
    },
    async stop(): Promise<RoutedLoadReport> {
      stopped = true;
      await running;
      await pool.close();
      return report;
    },
  };
}
