// The Capistrano side of bench/fleet-bench.mjs: a minimal Capfile (no SCM, no git, none of capistrano/deploy's
// flow) with one task that does the same job as `slipway deploy` on every server in parallel: `upload!` the
// artifact, unpack it into a release directory, switch `current` (ln -s to a temp name + mv, as Capistrano's
// own deploy:symlink:release does) and run the restart script (stop, start detached, health wait).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from './fleet-run.mjs';

const CAPFILE = `# Only the DSL and the stages: the tarball deploy below replaces capistrano/deploy's git flow.
require "capistrano/setup"
`;

const DEPLOY_RB = `set :application, "hello"
set :base, ENV.fetch("BENCH_BASE")
# No SCM at all (Capistrano would load its git plugin by default).
set :scm, nil
set :ssh_options, {
  user: "root",
  keys: [ENV.fetch("BENCH_SSH_KEY")],
  keys_only: true,
  auth_methods: %w[publickey],
  user_known_hosts_file: ENV.fetch("BENCH_KNOWN_HOSTS"),
  verify_host_key: :always,
  non_interactive: true,
}

desc "Upload the release tarball, unpack it, switch current, restart and wait until healthy"
task :deploy_tarball do
  version = ENV.fetch("VERSION")
  artifact = ENV.fetch("ARTIFACT")
  port = ENV.fetch("APP_PORT")
  base = fetch(:base)
  # on(...) runs the block on every server at once (SSHKit's parallel runner, a thread per server).
  on roles(:app) do
    remote = "#{base}/artifacts/#{version}.tar.gz"
    release = "#{base}/releases/#{version}"
    upload! artifact, remote
    execute :mkdir, "-p", release
    execute :tar, "-xzf", remote, "-C", release
    execute :ln, "-sfn", release, "#{base}/current_tmp"
    execute :mv, "-T", "#{base}/current_tmp", "#{base}/current"
    execute "#{base}/bin/restart.sh", base, port, version
  end
end
`;

/**
 * @param {{ dir: string, group: import('./processes.mjs').ProcessGroup, clientKeyPath: string,
 *   knownHostsPath: string, base: string, port: number }} options
 */
export function createCapistranoRunner({ dir, group, clientKeyPath, knownHostsPath, base, port }) {
  mkdirSync(join(dir, 'config', 'deploy'), { recursive: true });
  writeFileSync(join(dir, 'Capfile'), CAPFILE);
  writeFileSync(join(dir, 'config', 'deploy.rb'), DEPLOY_RB);

  return {
    /** Writes the production stage with these servers. */
    useHosts(hosts) {
      writeFileSync(
        join(dir, 'config', 'deploy', 'production.rb'),
        `${hosts.map((h) => `server "${h.address}", roles: %w[app]`).join('\n')}\n`,
      );
    },

    /** One deploy; returns the wall-clock time of `cap production deploy_tarball`. */
    async deploy({ version, artifact }) {
      const result = await runChecked(group, 'cap', 'cap', ['production', 'deploy_tarball'], {
        cwd: dir,
        env: {
          ...process.env,
          BENCH_SSH_KEY: clientKeyPath,
          BENCH_KNOWN_HOSTS: knownHostsPath,
          BENCH_BASE: base,
          VERSION: version,
          ARTIFACT: artifact,
          APP_PORT: String(port),
        },
      });
      return { ms: result.ms, stdout: result.stdout };
    },
  };
}
