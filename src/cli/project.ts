import { openProject, type Project, type ProjectOptions } from '../control-plane/open-project.js';

/**
 * The CLI's global flags: `--config`, `--state-dir`, `--store <url>` (a postgres:// URL for the store, else
 * SLIPWAY_STORE_URL, else the SQLite file), and `slipway setup --trust-new-hosts`. They are the options a project
 * opens with.
 */
export type GlobalOptions = ProjectOptions;

/** Opens the project for one verb, and closes it (hosts, store, notifications) whatever the verb did. */
export async function withProject<T>(
  options: GlobalOptions,
  fn: (project: Project) => Promise<T>,
): Promise<T> {
  const project = await openProject(options);
  try {
    return await fn(project);
  } finally {
    await project.close();
  }
}
