import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { c as createTar } from 'tar';
import { claimFreeSlot, type SlotLock } from '../testbed/slot-lock.js';

// A private Docker Engine for one test file: its own data-root, exec-root, socket and pidfile under a temp dir,
// and its own bridge on a testbed slot's subnet (10.231.<slot>.0/24, reserved through the testbed's slot lock),
// with iptables left alone, so several engines (and testbeds) can live side by side. Published loopback ports
// go through docker-proxy. Nothing is pulled: the base image is imported from a root filesystem made here.

export interface DockerEngine {
  /** unix socket path of this engine. */
  socket: string;
  /** `unix://<socket>`, for DOCKER_HOST. */
  dockerHost: string;
  docker: Docker;
  /** Stops the engine (by its pid), removes its bridge, directories and slot. */
  stop(): Promise<void>;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const START_TIMEOUT_MS = 30_000;

/** Starts dockerd as root. Fails loudly (no skip) when it cannot start: CI installs docker.io. */
export async function startDockerEngine(): Promise<DockerEngine> {
  if (process.getuid?.() !== 0) throw new Error('the Docker test harness needs root (dockerd)');
  const dir = mkdtempSync(join(tmpdir(), 'swd-'));
  const slot: SlotLock = await claimFreeSlot(180 + Math.floor(Math.random() * 60));
  const bridge = `swd${slot.slot}`;
  const run = (argv: string[]): void => {
    execFileSync(argv[0] ?? '', argv.slice(1), { env: { ...process.env, PATH: SYSTEM_PATH }, stdio: 'pipe' });
  };
  const socket = join(dir, 'docker.sock');
  const pidFile = join(dir, 'docker.pid');
  let child: ChildProcess | null = null;
  const cleanup = async (): Promise<void> => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise<void>((r) => child?.once('exit', () => r()));
      process.kill(child.pid, 'SIGTERM');
      const timer = setTimeout(() => child?.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    try {
      run(['ip', 'link', 'del', bridge]);
    } catch {
      // not created
    }
    // The engine's exec-root may still hold mounts of a killed container: unmount before removing.
    try {
      run(['sh', '-c', `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`]);
    } catch {
      // nothing mounted
    }
    rmSync(dir, { recursive: true, force: true });
    await slot.release();
  };
  try {
    try {
      run(['ip', 'link', 'del', bridge]); // a crashed run's leftover on this free slot
    } catch {
      // none
    }
    run(['ip', 'link', 'add', 'name', bridge, 'type', 'bridge']);
    run(['ip', 'addr', 'add', `10.231.${slot.slot}.1/24`, 'dev', bridge]);
    run(['ip', 'link', 'set', bridge, 'up']);
    const log = join(dir, 'dockerd.log');
    child = spawn(
      'dockerd',
      [
        '--data-root',
        join(dir, 'data'),
        '--exec-root',
        join(dir, 'exec'),
        '--pidfile',
        pidFile,
        '-H',
        `unix://${socket}`,
        '--bridge',
        bridge,
        '--iptables=false',
        '--ip6tables=false',
        '--ip-masq=false',
        // Containers are reached only through the loopback port the userland proxy publishes: the machine must not
        // start forwarding packets between networks because a test engine started.
        '--ip-forward=false',
        '--userland-proxy=true',
      ],
      { env: { ...process.env, PATH: SYSTEM_PATH }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const stderr: string[] = [];
    child.stderr?.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 200) stderr.shift();
    });
    const docker = new Docker({ socketPath: socket });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`dockerd exited (${child.exitCode}) at start:\n${stderr.join('').slice(-3000)}`);
      }
      if (
        existsSync(socket) &&
        (await docker.ping().then(
          () => true,
          () => false,
        ))
      )
        break;
      if (Date.now() > deadline) {
        throw new Error(
          `dockerd did not answer within ${START_TIMEOUT_MS}ms (log ${log}):\n${stderr.join('').slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return { socket, dockerHost: `unix://${socket}`, docker, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * A base image with node (the binary running the tests plus the shared libraries ldd names) and busybox as
 * /bin/sh, made from a root filesystem and `docker import`ed: no registry involved.
 */
export async function importNodeBaseImage(docker: Docker, ref = 'slipway-test-node:base'): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'swd-root-'));
  try {
    const put = (from: string, to: string): void => {
      mkdirSync(join(root, dirname(to)), { recursive: true });
      copyFileSync(realpathSync(from), join(root, to));
    };
    put(process.execPath, '/usr/local/bin/node');
    const ldd = execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
    for (const match of ldd.matchAll(/(\/[^\s]+\.so[^\s]*)/g)) {
      const lib = match[1];
      if (lib && existsSync(lib)) put(lib, lib);
    }
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
    if (!busybox) throw new Error('busybox is not installed (apt-get install busybox-static)');
    put(busybox, '/bin/busybox');
    for (const tool of ['sh', 'cat', 'ls', 'sleep', 'kill', 'ps'])
      symlinkSync('busybox', join(root, 'bin', tool));
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    mkdirSync(join(root, 'app'));
    const [repo, tag] = ref.split(':');
    const tarStream = createTar({ cwd: root, portable: true }, ['.']);
    const stream = await docker.importImage(tarStream as unknown as NodeJS.ReadableStream, { repo, tag });
    await followProgress(docker, stream);
    const image = await docker.getImage(ref).inspect();
    return image.Id;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function followProgress(docker: Docker, stream: NodeJS.ReadableStream): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: unknown[]) => {
      if (err) return reject(err);
      const failed = out.find((o) => typeof o === 'object' && o !== null && 'error' in o);
      if (failed) return reject(new Error(JSON.stringify(failed)));
      resolve(out);
    });
  });
}

/** Removes every container carrying the label (tests label what they create). */
export async function removeLabelled(docker: Docker, label: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The Docker Engine socket of a testbed host (its /run is its own). */
export const HOST_DOCKER_SOCKET = '/run/slipway-docker.sock';

interface ExecHost {
  name: string;
  exec(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/**
 * Starts a dockerd inside a testbed host (its netns and mount namespace): data under its /var/lib/slipway,
 * exec-root, pidfile and socket under its /run, a bridge `swdk0` on `10.231.<subnetSlot>.0/24` inside the
 * host's netns (the slot is held by the caller, so the subnet is ours). Returns a stop function (by pid).
 */
export async function startHostDockerEngine(
  host: ExecHost,
  subnetSlot: number,
): Promise<() => Promise<void>> {
  const script = [
    'set -e',
    // `ip netns exec` gave the host a fresh /sys without the cgroup mounts dockerd needs: mount the machine's
    // cgroup hierarchies again in the host's (private) mount namespace.
    ...deriveCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8')),
    'ip link add swdk0 type bridge 2>/dev/null || true',
    `ip addr replace 10.231.${subnetSlot}.1/24 dev swdk0`,
    'ip link set swdk0 up',
    'mkdir -p /var/lib/slipway/docker /run/slipway-docker-exec',
    `setsid dockerd --data-root /var/lib/slipway/docker --exec-root /run/slipway-docker-exec --pidfile /run/slipway-dockerd.pid -H unix://${HOST_DOCKER_SOCKET} --bridge swdk0 --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false </dev/null >/var/lib/slipway/dockerd.log 2>&1 &`,
    `for i in $(seq 1 150); do docker -H unix://${HOST_DOCKER_SOCKET} version >/dev/null 2>&1 && exit 0; sleep 0.2; done`,
    'tail -n 30 /var/lib/slipway/dockerd.log; exit 1',
  ].join('\n');
  const started = await host.exec(['sh', '-c', script]);
  if (started.code !== 0) {
    throw new Error(`dockerd did not start on ${host.name}:\n${started.stdout}${started.stderr}`);
  }
  return async () => {
    await host.exec([
      'sh',
      '-c',
      'pid=$(cat /run/slipway-dockerd.pid 2>/dev/null) || exit 0; kill "$pid"; for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.2; done; kill -9 "$pid"',
    ]);
  };
}

/** Shell lines that mount, under the host's /sys/fs/cgroup, the cgroup file systems this machine has. */
function deriveCgroupMounts(mountinfo: string): string[] {
  const lines: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    const mountPoint = left?.split(' ')[4];
    const [fsType, , superOptions] = (right ?? '').split(' ');
    if (!mountPoint?.startsWith('/sys/fs/cgroup')) continue;
    if (fsType === 'tmpfs' && mountPoint === '/sys/fs/cgroup') {
      lines.push(`mountpoint -q ${mountPoint} || mount -t tmpfs -o mode=755 cgroup ${mountPoint}`);
    } else if (fsType === 'cgroup' || fsType === 'cgroup2') {
      const options = (superOptions ?? '')
        .split(',')
        .filter((o) => o !== 'rw' && o !== 'ro')
        .join(',');
      const dashO = fsType === 'cgroup' && options ? `-o ${options} ` : '';
      lines.push(
        `mkdir -p ${mountPoint}; mountpoint -q ${mountPoint} || mount -t ${fsType} ${dashO}cgroup ${mountPoint}`,
      );
    }
  }
  return lines;
}
