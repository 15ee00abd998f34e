import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, freePort } from '../helpers/project.js';
import { createTestbed, type Testbed } from '../testbed/testbed.js';
import { fleetProject, type Fleet } from './fleet-project.js';

// Shared directories on SSH hosts (issue 17, item 4): each host keeps its own; a backup taken on one host is
// fetched to the control plane and restored onto another host that never had the data (a fresh host).

describe('shared directories on a testbed of 2 hosts', () => {
  let testbed: Testbed;
  let fleet: Fleet;
  const run = async (host: string, script: string): Promise<string> =>
    expectOk(await fleet.cli(['run', 'production', '--host', host, '--', 'sh', '-c', script])).stdout;

  beforeAll(async () => {
    testbed = await createTestbed({ hosts: 2, name: 'shdata' });
    fleet = fleetProject(testbed, await freePort());
    const file = join(fleet.dir, 'slipway.yml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('secrets: []\n', 'secrets: []\nshared: [storage]\n'),
    );
    expectOk(await fleet.cli(['setup', 'production']));
    expectOk(await fleet.cli(['release', 'create', '--version', '1.0.0']));
    expectOk(await fleet.cli(['deploy', 'production', '--release', '1.0.0']));
  }, 180_000);

  afterAll(async () => {
    if (fleet) {
      await fleet.cli(['agent', 'stop', '--stop-targets']);
      rmSync(fleet.dir, { recursive: true, force: true });
    }
    await testbed?.destroy();
  }, 120_000);

  it('backs up one host and restores onto another that never had the data', async () => {
    const [h1, h2] = testbed.hosts;
    if (!h1 || !h2) throw new Error('testbed has 2 hosts');
    await run(
      h1.name,
      'mkdir -p storage/docs && echo "kept on $(hostname -I | cut -d" " -f1)" > storage/docs/note',
    );
    expect(await run(h2.name, 'ls -A storage')).toBe(''); // each host has its own

    const backup = expectOk(await fleet.cli(['data', 'backup', 'production', '--host', h1.name])).stdout;
    const id = /(shared-\S+)/.exec(backup)?.[1] ?? '';
    expect(id).toContain(h1.name);
    const restored = expectOk(
      await fleet.cli(['data', 'restore', 'production', '--backup', id, '--host', h2.name]),
    );
    expect(restored.stdout).toContain(`${h2.name}'s shared directories restored from ${id}`);
    expect(await run(h2.name, 'cat storage/docs/note')).toBe(`kept on ${h1.address}\n`);
    // No archive is left in either host's agent home.
    for (const host of [h1, h2]) {
      const left = await host.exec(['sh', '-c', 'ls -A /var/lib/slipway/agent/backups 2>/dev/null | wc -l']);
      expect(left.stdout.trim()).toBe('0');
    }
  });
});
