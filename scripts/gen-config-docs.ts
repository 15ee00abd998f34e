/**
 * Writes docs/configuration.md from the config schema (`npm run docs:config`). The rendering is pure
 * (src/config/describe-schema.ts); a test fails when the committed file differs from it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '../src/config/describe-schema.js';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
const next = renderConfigDocs();
const previous = await readFile(target, 'utf8').catch(() => undefined);
if (previous === next) {
  console.log('docs/configuration.md is up to date');
} else {
  await writeFile(target, next);
  console.log('wrote docs/configuration.md');
}
