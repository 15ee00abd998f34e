// The testbed of SSH hosts (test/testbed/testbed.ts) for bench/fleet-bench.mjs. It is TypeScript: tsx's
// loader API imports it as it is, so that the benchmark stays a plain `.mjs` module of bench/run.mjs.
import { fileURLToPath } from 'node:url';

const TESTBED = fileURLToPath(new URL('../../test/testbed/testbed.ts', import.meta.url));

/** @returns {Promise<{ createTestbed: Function, testbedSupported: () => { ok: boolean, why?: string } }>} */
export async function loadTestbed() {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(TESTBED, import.meta.url);
}
