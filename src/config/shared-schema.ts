import { posix } from 'node:path';
import { z } from 'zod';
import { insidePathSchema } from './inside-path-schema.js';

/** Two shared paths where one holds the other would link a link. Pure. */
function nests(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

export const sharedSchema = z
  .array(
    insidePathSchema('the release directory')
      .transform((path) => posix.normalize(path).replace(/\/+$/, ''))
      .refine((path) => path !== '.' && path !== '', {
        message: 'expected a directory below the release directory',
      }),
  )
  .max(32)
  .default([])
  .refine((paths) => paths.every((p, i) => paths.every((q, j) => i === j || !nests(p, q))), {
    message: 'expected directories apart from each other (none inside another, none twice)',
  })
  .describe(
    "Directories that outlive releases (uploads, a SQLite file's directory), relative to the release directory: each is kept on every host under the agent's home (`shared/<app>/<path>`) and linked into every release directory at install, replacing what the release packed there; never pruned with releases. Processes only (see docs/processes.md).",
  );
