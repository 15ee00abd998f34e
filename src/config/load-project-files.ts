import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listFilesToRead } from './detect-app.js';
import type { ProjectFiles } from './scan-app-source.js';

/** Larger files are not source a guess reads (a bundle, a data file): skipped. */
const MAX_TEXT_BYTES = 256 * 1024;
/** Rounds of reading: the markers and sources, then the files they name (package.json's entry …). */
const MAX_ROUNDS = 3;

/**
 * What `slipway init` looks at in `dir`: its entries (and those of `cmd/`, where Go keeps main packages) and
 * the texts of the files listFilesToRead names. Reads nothing else and writes nothing.
 */
export async function loadProjectFiles(dir: string): Promise<ProjectFiles> {
  const entries = [...(await listEntries(dir, '')), ...(await listEntries(dir, 'cmd/'))].sort();
  const texts: Record<string, string> = {};
  const tried = new Set<string>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const next = listFilesToRead({ entries, texts }).filter((path) => !tried.has(path));
    if (next.length === 0) break;
    for (const path of next) {
      tried.add(path);
      const text = await readSmallText(join(dir, path));
      if (text !== undefined) texts[path] = text;
    }
  }
  return { entries, texts };
}

/** `name` for a file, `name/` for a directory (a link to one counts), under `prefix`; none if it is missing. */
async function listEntries(dir: string, prefix: string): Promise<string[]> {
  const listed = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const entries: string[] = [];
  for (const entry of listed) {
    const isDirectory =
      entry.isDirectory() ||
      (entry.isSymbolicLink() &&
        (await stat(join(dir, prefix, entry.name))
          .then((s) => s.isDirectory())
          .catch(() => false)));
    entries.push(`${prefix}${entry.name}${isDirectory ? '/' : ''}`);
  }
  return entries;
}

async function readSmallText(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile() || info.size > MAX_TEXT_BYTES) return undefined;
  return readFile(file, 'utf8').catch(() => undefined);
}
