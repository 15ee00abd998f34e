// A load client in its own process: `concurrency` keep-alive connections send GET / to the URL until SIGTERM
// (or maxMs / maxRequests), then it prints one JSON line with what it saw. Bounded in time and count.
import { Pool } from 'undici';

const [url, concurrencyArg = '8', maxMsArg = '180000', maxRequestsArg = '2000000'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const deadline = Date.now() + Number(maxMsArg);
const maxRequests = Number(maxRequestsArg);
const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
const report = { total: 0, failed: 0, byStatus: {}, byRelease: {}, errors: [] };
let stopped = false;
let sent = 0;
process.once('SIGTERM', () => (stopped = true));

async function worker() {
  while (!stopped && sent < maxRequests && Date.now() < deadline) {
    sent++;
    try {
      const res = await pool.request({ path: '/', method: 'GET' });
      await res.body.dump();
      report.total++;
      report.byStatus[res.statusCode] = (report.byStatus[res.statusCode] ?? 0) + 1;
      const release = String(res.headers['x-release'] ?? 'none');
      report.byRelease[release] = (report.byRelease[release] ?? 0) + 1;
      if (res.statusCode !== 200) report.failed++;
    } catch (err) {
      report.total++;
      report.failed++;
      if (report.errors.length < 20) report.errors.push(String(err));
    }
  }
}

console.log(JSON.stringify({ ready: true }));
await Promise.all(Array.from({ length: concurrency }, worker));
await pool.close();
console.log(JSON.stringify(report));
process.exit(0);
