// `node bench/lib/fleet-teardown.mjs <slot>`: removes a testbed slot (its hosts' processes, netns, links, state)
// on behalf of bench/fleet-bench.mjs when it is interrupted. The benchmark runs this synchronously from its
// signal handler, while it still holds the slot's lock, so the cleanup ends before the process exits.
import { fileURLToPath } from 'node:url';

const slot = Number(process.argv[2]);
if (!Number.isInteger(slot) || slot < 0 || slot > 255) {
  console.error('usage: node bench/lib/fleet-teardown.mjs <slot 0-255>');
  process.exit(2);
}
const { tsImport } = await import('tsx/esm/api');
const { teardownSlot } = await tsImport(
  fileURLToPath(new URL('../../test/testbed/teardown.ts', import.meta.url)),
  import.meta.url,
);
await teardownSlot(slot);
console.error(`testbed slot ${slot} removed`);
