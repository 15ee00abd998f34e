// The Slipway side of bench/fleet-bench.mjs: a copy of examples/hello whose production environment is a list
// of testbed hosts, driven through the real CLI (dist/cli.js). The strategy is the default (blue-green:
// upload, unpack, start the new target beside the old one, health-check it, switch, keep the old one warm).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChecked } from './fleet-run.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

/** The health check both sides wait for: GET /healthz every 200 ms, 2 passes in a row (bench/lib/fleet-restart.sh). */
export const HEALTH = { path: '/healthz', intervalMs: 200, timeoutMs: 1000, healthyThreshold: 2 };

/**
 * @param {{ group: import('./processes.mjs').ProcessGroup, clientKeyPath: string, knownHostsPath: string,
 *   port: number }} options
 */
export function createSlipwayProject({ group, clientKeyPath, knownHostsPath, port }) {
  // Short path: the local state holds unix sockets.
  const dir = mkdtempSync(join(tmpdir(), 'sw-fleet-'));
  cpSync(join(ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  const file = join(dir, 'slipway.yml');

  const cli = (args, marks = {}) =>
    runChecked(group, `slipway ${args[0]}`, process.execPath, [CLI, '-c', file, ...args], {
      env: { ...process.env, NO_COLOR: '1' },
      timeoutMs: 300_000,
      marks,
    });
  // The CLI prints this line when the plan is made and the executor starts: before it, Node starts, the store
  // opens, the agents' events are synced and (for a deploy) the preflight checks run on every host.
  const PLAN_LINE = { planned: /^(Deploying|Rolling back) /m };

  return {
    dir,
    cli,

    /** Writes slipway.yml with these hosts in production, worked on `parallelism` at a time. */
    useHosts(hosts, parallelism) {
      writeFileSync(
        file,
        renderFleetConfig({ production: { hosts, parallelism } }, { clientKeyPath, knownHostsPath, port }),
      );
    },

    /** Creates a release; returns its version and the artifact every tool deploys. */
    async createRelease(version) {
      await cli(['release', 'create', '--version', version]);
      const { stdout } = await cli(['releases', '--json']);
      const release = JSON.parse(stdout).find((r) => r.version === version);
      if (!release?.artifactPath) throw new Error(`release ${version} has no artifact path: ${stdout}`);
      return {
        version,
        artifact: release.artifactPath,
        sha256: release.sha256,
        bytes: readFileSync(release.artifactPath).length,
      };
    },

    async deploy(version) {
      const { stdout, ms, marks } = await cli(['deploy', 'production', '--release', version], PLAN_LINE);
      return { ms, executorMs: executorMs(stdout), beforePlanMs: marks.planned ?? NaN, stdout };
    },

    async rollback() {
      const { stdout, ms, marks } = await cli(['rollback', 'production'], PLAN_LINE);
      return { ms, executorMs: executorMs(stdout), beforePlanMs: marks.planned ?? NaN, stdout };
    },

    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * slipway.yml of examples/hello with these environments, each on its testbed hosts (worked on `parallelism` at a
 * time), served on `port`; the strategy is the default (blue-green, keepWarm 5m).
 * @param {Record<string, { hosts: Array<{ name: string, address: string }>, parallelism: number }>} environments
 * @param {{ clientKeyPath: string, knownHostsPath: string, port: number }} options
 */
export function renderFleetConfig(environments, { clientKeyPath, knownHostsPath, port }) {
  const environment = ({ hosts, parallelism }) => {
    const list = hosts
      .map(
        (h) =>
          `      - name: ${h.name}\n        address: ${h.address}\n        user: root\n        identityFile: ${clientKeyPath}`,
      )
      .join('\n');
    return `    hosts:
${list}
    publicPort: ${port}
    bindAddress: 127.0.0.1
    ssh:
      knownHosts: ${knownHostsPath}
      connectTimeout: 5s
      parallelism: ${parallelism}`;
  };
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
healthCheck:
  path: ${HEALTH.path}
  interval: ${HEALTH.intervalMs}ms
  timeout: ${HEALTH.timeoutMs}ms
  healthyThreshold: ${HEALTH.healthyThreshold}
  startTimeout: 15s
env:
  GREETING: "Hello"
environments:
${Object.entries(environments)
  .map(([name, env]) => `  ${name}:\n${environment(env)}`)
  .join('\n')}
`;
}

/** The executor's own duration, from the last line: "✔ 2.0.0 is live in production at … (1.1s)". */
export function executorMs(stdout) {
  const m = /is live in \S+ at \S+ \((\d+(?:\.\d+)?)(ms|s)\)/.exec(stdout);
  return m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
}
