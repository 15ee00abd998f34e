// npm run fuzz [-- --runs N --seed S]: the router's differential framing tests with a large budget and a new seed.
// A failure prints the bytes; add them to src/router/framing-corpus.json so that every later run replays them.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' } } });
const runs = values.runs ?? '50000';
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
process.stdout.write(`framing fuzz: ${runs} streams per path, seed ${seed} (rerun with -- --seed ${seed})\n`);
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', 'src/router/framing-differential.test.ts'],
  { stdio: 'inherit', env: { ...process.env, FRAMING_RUNS: runs, FRAMING_SEED: seed } },
);
process.exit(result.status ?? 1);
