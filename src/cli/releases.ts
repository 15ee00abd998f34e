import { createProjectRelease } from '../operations/release.js';
import type { ReleaseSnapshot } from '../release/release-snapshot.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green } from './progress-renderer.js';

/** `slipway release create` on this machine's project (declared with its options in shared-verbs.ts). */
export const releaseCreateHere =
  (globals: () => GlobalOptions) =>
  async (opts: { version?: string; environment?: string }): Promise<void> => {
    await withProject(globals(), async (project) => {
      const { release, created } = await createProjectRelease(project, {
        ...(opts.version ? { version: opts.version } : {}),
        ...(opts.environment ? { environment: opts.environment } : {}),
        onBuildOutput: (line) => process.stdout.write(dim(`  build │ ${line}\n`)),
      });
      process.stdout.write(
        created
          ? green(
              `✔ release ${release.version} created: ${release.sha256.slice(0, 12)}, ${release.sizeBytes} bytes\n`,
            )
          : `release ${release.version} already exists with the same content (${release.sha256.slice(0, 12)})\n`,
      );
    });
  };

/** `slipway releases` on this machine's project. */
export const releasesHere =
  (globals: () => GlobalOptions) =>
  async (opts: { json?: boolean }): Promise<void> => {
    await withProject(globals(), async (project) => {
      const releases = await project.store.listReleases(project.config.app);
      const marks = await project.store.listReleaseMarks(project.config.app);
      const goodIn = (version: string): string[] =>
        marks.filter((m) => m.version === version).map((m) => m.environment);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify(
            releases.map(({ config, ...r }) => {
              const runtime = (config as ReleaseSnapshot).runtime;
              return {
                ...r,
                ...(runtime ? { image: runtime.image } : {}),
                ...(runtime?.pull ? { imageRef: runtime.ref } : {}),
                goodIn: goodIn(r.version),
              };
            }),
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (releases.length === 0) {
        process.stdout.write('no releases yet; create one with: slipway release create --version 1.0.0\n');
        return;
      }
      for (const r of releases) {
        process.stdout.write(
          `${r.version.padEnd(16)} ${r.sha256.slice(0, 12)}  ${String(r.sizeBytes).padStart(9)} B  ${new Date(r.createdAtMs).toISOString()}  ${r.createdBy}${r.source ? `  ${r.source}` : ''}${imageOf(r.config)}${goodIn(r.version).length ? green(`  good in ${goodIn(r.version).join(', ')}`) : ''}\n`,
        );
      }
    });
  };

/** The image id, and where hosts pull it from (pinned by digest) for a release in a registry. */
function imageOf(config: unknown): string {
  const runtime = (config as ReleaseSnapshot).runtime;
  if (!runtime) return '';
  return `  image ${runtime.image.slice(0, 19)}${runtime.pull ? `  ${runtime.ref}` : ''}`;
}
