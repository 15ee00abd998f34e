// The example's scheduled job (`cron` in slipway.yml): Slipway runs it once per tick for the whole environment, on
// one host, in the release that serves then. It queues a job for the worker and reports how many were done.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';

mkdirSync('storage/inbox', { recursive: true });
mkdirSync('storage/done', { recursive: true });
const tick = process.env.SLIPWAY_JOB_TICK ?? new Date().toISOString();
const name = `${tick.replace(/[^0-9]/g, '')}.json`;
writeFileSync(`storage/inbox/${name}`, `${JSON.stringify({ kind: 'report', tick })}\n`);
const doneCount = readdirSync('storage/done').filter((n) => n.endsWith('.json')).length;
console.log(`hello ${process.env.SLIPWAY_RELEASE ?? 'dev'}: queued ${name}; ${doneCount} jobs done so far`);
