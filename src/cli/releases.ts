import type { Command } from 'commander';
import { createProjectRelease } from '../operations/release.js';
import type { ReleaseSnapshot } from '../release/release-snapshot.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green } from './progress-renderer.js';

export function registerReleases(program: Command, globals: () => GlobalOptions): void {
  const release = program.command('release').description('create releases');
  release
    .command('create')
    .description('run the build and store an immutable release (artifact + config snapshot)')
    .option('-v, --version <version>', 'version of the release (default: the git commit of the project)')
    .action(async (opts: { version?: string }) => {
      await withProject(globals(), async (project) => {
        const { release, created } = await createProjectRelease(project, {
          ...(opts.version ? { version: opts.version } : {}),
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
    });

  program
    .command('releases')
    .description('list the releases, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const releases = await project.store.listReleases(project.config.app);
        const marks = await project.store.listReleaseMarks(project.config.app);
        const goodIn = (version: string): string[] =>
          marks.filter((m) => m.version === version).map((m) => m.environment);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify(
              releases.map(({ config, ...r }) => {
                const image = (config as ReleaseSnapshot).runtime?.image;
                return { ...r, ...(image ? { image } : {}), goodIn: goodIn(r.version) };
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
    });
}

/** The release a verb works on: the one named, else the newest. */
/** Kept here for the verbs that import it from this file (it lives with the plan operation). */
export { resolveReleaseVersion } from '../operations/plan-deployment.js';

function imageOf(config: unknown): string {
  const image = (config as ReleaseSnapshot).runtime?.image;
  return image ? `  image ${image.slice(0, 19)}` : '';
}
