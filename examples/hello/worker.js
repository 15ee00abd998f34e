// The example's worker (`processes.worker` in slipway.yml): it takes jobs from storage/inbox, one at a time, and
// files each in storage/done. storage/ is a shared directory, so every release sees the same queue. A job is claimed
// by renaming it (atomic: two workers never take the same one); on SIGTERM the worker finishes the job it holds.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const inbox = 'storage/inbox';
const done = 'storage/done';
mkdirSync(inbox, { recursive: true });
mkdirSync(done, { recursive: true });
const who = `worker ${process.env.SLIPWAY_INSTANCE ?? '1'} of hello ${process.env.SLIPWAY_RELEASE ?? 'dev'}`;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

console.log(`${who}: waiting for jobs in ${inbox}`);
while (!stopping) {
  const [next] = readdirSync(inbox)
    .filter((name) => name.endsWith('.json'))
    .sort();
  if (!next) {
    await sleep(500);
    continue;
  }
  const claimed = `${done}/${next}.${process.pid}.working`;
  try {
    renameSync(`${inbox}/${next}`, claimed);
  } catch {
    continue; // another worker took it first
  }
  const job = JSON.parse(readFileSync(claimed, 'utf8'));
  await sleep(200); // the work
  writeFileSync(
    `${done}/${next}`,
    `${JSON.stringify({ ...job, doneBy: who, doneAt: new Date().toISOString() })}\n`,
  );
  renameSync(claimed, `${done}/${next}.claimed`);
  console.log(`${who}: did ${job.kind} job ${next}`);
}
console.log(`${who}: stopped, no job left half done`);
