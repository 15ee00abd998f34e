// The example's build step: records what was built. Slipway runs it with SLIPWAY_VERSION set.
import { writeFileSync } from 'node:fs';

const version = process.env.SLIPWAY_VERSION ?? 'dev';
writeFileSync(
  new URL('./build-info.json', import.meta.url),
  `${JSON.stringify({ app: 'hello', version }, null, 2)}\n`,
);
console.log(`built hello ${version}`);
