// The Ansible side of bench/fleet-bench.mjs: an inventory of testbed hosts, a playbook that does the same job
// as `slipway deploy` (upload the artifact, unpack it into a release directory, switch `current`, restart and
// wait until healthy), and a runner that times `ansible-playbook` and then ends the SSH master connections it
// left behind (ControlPersist), by pid, so that no run starts with a warm connection from the previous one.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked } from './fleet-run.mjs';

const PLAYBOOK = `# Same job as \`slipway deploy\`: upload, unpack, switch current, restart + health wait.
- hosts: app
  gather_facts: false
  tasks:
    - name: upload the release artifact
      ansible.builtin.copy:
        src: "{{ artifact }}"
        dest: "{{ base }}/artifacts/{{ version }}.tar.gz"
        mode: "0644"
    - name: create the release directory
      ansible.builtin.file:
        path: "{{ base }}/releases/{{ version }}"
        state: directory
        mode: "0755"
    - name: unpack the artifact
      ansible.builtin.unarchive:
        src: "{{ base }}/artifacts/{{ version }}.tar.gz"
        dest: "{{ base }}/releases/{{ version }}"
        remote_src: true
    - name: switch current
      ansible.builtin.file:
        src: "{{ base }}/releases/{{ version }}"
        dest: "{{ base }}/current"
        state: link
        force: true
    - name: restart the app and wait until it is healthy
      ansible.builtin.command: "{{ base }}/bin/restart.sh {{ base }} {{ port }} {{ version }}"
`;

/**
 * @param {{ dir: string, group: import('./processes.mjs').ProcessGroup, clientKeyPath: string,
 *   knownHostsPath: string, base: string, port: number }} options
 *   `base`: the deploy directory on each host (artifacts/, releases/, current, bin/restart.sh, app.pid).
 */
export function createAnsibleRunner({ dir, group, clientKeyPath, knownHostsPath, base, port }) {
  mkdirSync(join(dir, 'local-tmp'), { recursive: true });
  writeFileSync(join(dir, 'deploy.yml'), PLAYBOOK);
  writeFileSync(
    join(dir, 'ansible.cfg'),
    `[defaults]
inventory = ${join(dir, 'inventory.ini')}
host_key_checking = True
retry_files_enabled = False
interpreter_python = /usr/bin/python3
local_tmp = ${join(dir, 'local-tmp')}
# /root is shared by every testbed host; /tmp is each host's own.
remote_tmp = /tmp/.ansible-tmp
nocows = 1

[ssh_connection]
pipelining = True
# ssh_args stay Ansible's default: -C -o ControlMaster=auto -o ControlPersist=60s
`,
  );
  let runs = 0;

  return {
    /** Writes the inventory for these hosts (the next deploys go to them). */
    useHosts(hosts) {
      const lines = hosts.map((h) => `${h.name} ansible_host=${h.address}`);
      writeFileSync(
        join(dir, 'inventory.ini'),
        `[app]
${lines.join('\n')}

[app:vars]
ansible_user=root
ansible_ssh_private_key_file=${clientKeyPath}
ansible_ssh_common_args='-o UserKnownHostsFile=${knownHostsPath} -o StrictHostKeyChecking=yes'
`,
      );
    },

    /** One deploy; returns the wall-clock time of `ansible-playbook`. */
    async deploy({ version, artifact, forks }) {
      const controlDir = join(dir, `cp-${++runs}`);
      mkdirSync(controlDir, { recursive: true });
      try {
        const result = await runChecked(
          group,
          `ansible-playbook (forks ${forks})`,
          'ansible-playbook',
          ['deploy.yml', '--forks', String(forks), '-e', JSON.stringify({ base, version, artifact, port })],
          {
            cwd: dir,
            env: {
              ...process.env,
              ANSIBLE_CONFIG: join(dir, 'ansible.cfg'),
              ANSIBLE_HOME: join(dir, 'home'),
              ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
              ANSIBLE_NOCOLOR: '1',
            },
          },
        );
        return { ms: result.ms, stdout: result.stdout };
      } finally {
        await endMasters(controlDir);
        rmSync(controlDir, { recursive: true, force: true });
      }
    },
  };
}

/** Ends the ControlPersist masters of one run: `ssh -O check` names each one's pid, which is then signalled. */
async function endMasters(controlDir) {
  let sockets = [];
  try {
    sockets = readdirSync(controlDir);
  } catch {
    return;
  }
  await Promise.all(
    sockets.map(async (socket) => {
      const pid = await masterPid(join(controlDir, socket));
      if (pid) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }),
  );
}

function masterPid(socketPath) {
  return new Promise((resolve) => {
    execFile(
      'ssh',
      ['-o', `ControlPath=${socketPath}`, '-O', 'check', '127.0.0.1'],
      { timeout: 5_000 },
      (_err, _stdout, stderr) => {
        const m = /pid=(\d+)/.exec(String(stderr));
        resolve(m ? Number(m[1]) : null);
      },
    );
  });
}
