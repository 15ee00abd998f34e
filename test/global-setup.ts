import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Integration tests run the bundled CLI and agent (dist/): build them once before any test runs. */
export default function setup(): void {
  execFileSync(process.execPath, [resolve(import.meta.dirname, '..', 'scripts', 'build.mjs')], {
    stdio: 'inherit',
  });
}
