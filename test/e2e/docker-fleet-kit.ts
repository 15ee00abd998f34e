import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HOST_DOCKER_SOCKET,
  importNodeBaseImage,
  startDockerEngine,
  startHostDockerEngine,
  type DockerEngine,
} from '../helpers/docker.js';
import { REPO_ROOT, freePort, runCli, type CliResult } from '../helpers/project.js';
import { claimFreeSlot } from '../testbed/slot-lock.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';

const APP_PORT = 8420;
const BASE = 'slipway-test-node:base';

/** A copy of examples/hello as a `runtime: docker` app on testbed hosts that each run their own dockerd. */
export interface DockerFleet {
  testbed: Testbed;
  /** The local engine `release create` builds with. */
  engine: DockerEngine;
  dir: string;
  edgePort: number;
  cli(args: string[]): Promise<CliResult>;
  /** Writes slipway.yml: the strategy's body (indented by six), extra env, and `extra` top-level keys at the end. */
  writeConfig(o?: { strategy?: string; env?: Record<string, string>; extra?: string }): void;
  /** Stops the agents and targets, the hosts' engines, the testbed and the local engine. */
  dispose(): Promise<void>;
}

/**
 * Starts a local build engine with the base image, a testbed of `hosts` hosts each running its own dockerd on a
 * claimed slot's bridge, and writes the app's config: blue/green through an edge on this machine.
 */
export async function startDockerFleet(options: { hosts: number; name: string }): Promise<DockerFleet> {
  const engine = await startDockerEngine();
  await importNodeBaseImage(engine.docker, BASE);
  const testbed = await createTestbed({ hosts: options.hosts, name: options.name });
  const subnet = await claimFreeSlot(120 + Math.floor(Math.random() * 50));
  const stopHostEngines: Array<() => Promise<void>> = [];
  for (const host of testbed.hosts) stopHostEngines.push(await startHostDockerEngine(host, subnet.slot));
  const dir = mkdtempSync(join(tmpdir(), 'sw-dk-'));
  cpSync(join(REPO_ROOT, 'examples', 'hello'), dir, {
    recursive: true,
    filter: (src) => !src.includes('.slipway'),
  });
  writeFileSync(join(dir, 'Dockerfile'), `FROM ${BASE}\nWORKDIR /app\nCOPY . /app/\n`);
  const edgePort = await freePort();
  const cli = (args: string[]): Promise<CliResult> => runCli(['-c', join(dir, 'slipway.yml'), ...args]);
  const fleet: DockerFleet = {
    testbed,
    engine,
    dir,
    edgePort,
    cli,
    writeConfig: (o = {}) =>
      writeFileSync(join(dir, 'slipway.yml'), renderConfig(testbed, engine, edgePort, o)),
    dispose: async () => {
      await cli(['agent', 'stop', '--stop-targets']);
      rmSync(dir, { recursive: true, force: true });
      for (const stop of stopHostEngines) await stop().catch(() => undefined);
      await testbed.destroy();
      await subnet.release();
      await engine.stop();
    },
  };
  fleet.writeConfig();
  return fleet;
}

function renderConfig(
  testbed: Testbed,
  engine: DockerEngine,
  edgePort: number,
  o: { strategy?: string; env?: Record<string, string>; extra?: string },
): string {
  const hosts = testbed.hosts
    .map(
      (h) =>
        `      - name: ${h.name}\n        address: ${h.address}\n        user: root\n        identityFile: ${testbed.clientKeyPath}`,
    )
    .join('\n');
  const env = Object.entries({ GREETING: 'Hello', HOST: '0.0.0.0', ...o.env })
    .map(([k, v]) => `  ${k}: "${v}"`)
    .join('\n');
  return `app: hello
build:
  command: node build.js
run:
  command: node server.js
  stopTimeout: 5s
runtime:
  kind: docker
  socket: ${HOST_DOCKER_SOCKET}
  buildSocket: ${engine.socket}
  memory: 256m
healthCheck:
  path: /healthz
  interval: 200ms
  timeout: 1s
  healthyThreshold: 2
  startTimeout: 20s
env:
${env}
environments:
  production:
    hosts:
${hosts}
    publicPort: ${APP_PORT}
    ssh:
      knownHosts: ${testbed.knownHostsPath}
      connectTimeout: 3s
    edge:
      host: local
      publicPort: ${edgePort}
      bindAddress: 127.0.0.1
    strategy:
${o.strategy ?? '      kind: blue-green\n      keepWarm: 5m\n      drainTimeout: 5s'}
${o.extra ?? ''}`;
}
