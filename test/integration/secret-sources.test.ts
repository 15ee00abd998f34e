import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, expectOk, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Secrets from a command (issue 20): a small script stands in for a password manager's CLI. The deployed example
// app reads one value (GREETING, in its answer) and logs another, multi-line one (API_TOKEN, with LOG_API_TOKEN=1).
// Neither value may show in the CLI's output, the plan, the ledger or anything else Slipway keeps.

const GREETING = 'Ahoy-4c1f9e';
const KEY_LINES = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj',
  '-----END PRIVATE KEY-----',
];

const MANAGER = `#!/bin/sh
# fake-manager read <item>: prints the item's value, like \`op read\` or \`bw get password\`.
echo "$2" >> "$(dirname "$0")/calls"
case "$2" in
  greeting) printf '%s\\n' '${GREETING}' ;;
  key) printf '%s\\n' ${KEY_LINES.map((l) => `'${l}'`).join(' ')} ;;
  broken) echo "fake-manager: session for ${KEY_LINES[1]} expired; item not found" >&2; exit 4 ;;
  slow) sleep 30 ;;
esac
`;

describe('secrets from a command', () => {
  let project: TestProject;
  let managerDir: string;
  let manager: string;

  const config = (greetingItem: string, timeout = '10s'): string =>
    project
      .config({
        secrets: ['API_TOKEN', 'GREETING'],
        env: { LOG_API_TOKEN: '1' },
        environmentExtra: [
          '    secretSources:',
          '      API_TOKEN:',
          `        command: ["${manager}", "read", "key"]`,
          '      GREETING:',
          `        command: "'${manager}' read ${greetingItem}"`,
          `        timeout: ${timeout}`,
        ].join('\n'),
      })
      // GREETING is a secret here, so not a plain variable too.
      .replace('  GREETING: "Hello"\n', '');
  const calls = (): string[] => {
    try {
      return readFileSync(join(managerDir, 'calls'), 'utf8').trim().split('\n');
    } catch {
      return [];
    }
  };

  beforeAll(async () => {
    project = await createTestProject();
    managerDir = mkdtempSync(join(tmpdir(), 'sw-manager-'));
    manager = join(managerDir, 'fake-manager');
    writeFileSync(manager, MANAGER);
    chmodSync(manager, 0o755);
    project.writeConfig(config('greeting'));
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  }, 120_000);
  afterAll(async () => {
    await project?.dispose();
    if (managerDir) rmSync(managerDir, { recursive: true, force: true });
  });

  it('delivers the values to the app, running each command once, and shows and keeps none of them', async () => {
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0', '--json']));
    rmSync(join(managerDir, 'calls'), { force: true });
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(calls().sort()).toEqual(['greeting', 'key']);
    expect(await (await fetch(`${project.url}/`)).text()).toContain(`${GREETING} from hello 1.0.0`);

    const logs = await waitFor('the key in the logs', async () => {
      const out = expectOk(await project.cli(['logs', 'production'])).stdout;
      return out.includes('API_TOKEN at start') ? out : undefined;
    });
    expect(logs).toContain('API_TOKEN at start: [redacted]');
    const history = expectOk(await project.cli(['history', '--json', '--limit', '100']));
    const status = expectOk(await project.cli(['status', '--json']));
    const kept = filesUnder(join(project.dir, '.slipway'), ['agent']).map((f) => readFileSync(f, 'latin1'));
    for (const text of [
      plan.stdout,
      deploy.stdout,
      deploy.stderr,
      logs,
      history.stdout,
      status.stdout,
      ...kept,
    ]) {
      expect(text).not.toContain(GREETING);
      for (const line of KEY_LINES) expect(text).not.toContain(line);
    }
  });

  it('stops before anything changes when a command fails, naming the secret, never a value', async () => {
    project.writeConfig(config('broken'));
    expectOk(await project.cli(['release', 'create', '--version', '1.1.0']));
    const failed = await project.cli(['deploy', 'production', '--release', '1.1.0']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'secret GREETING (environment production): its command exited with code 4',
    );
    expect(failed.stderr).toContain('item not found');
    // The manager echoed a line of API_TOKEN, fetched before it: redacted.
    expect(failed.stderr).toContain('fake-manager: session for [redacted] expired');
    expect(failed.stderr).toContain('SLIPWAY_SECRET_GREETING');
    for (const line of KEY_LINES) expect(failed.stderr + failed.stdout).not.toContain(line);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('from hello 1.0.0');
  });

  it('kills a command past its timeout and says so', async () => {
    project.writeConfig(config('slow', '1s'));
    const failed = await project.cli(['deploy', 'production', '--release', '1.1.0']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'secret GREETING (environment production): its command did not finish within 1s',
    );
  });

  it('lets SLIPWAY_SECRET_<NAME> override a command, which then does not run', async () => {
    project.writeConfig(config('broken'));
    rmSync(join(managerDir, 'calls'), { force: true });
    expectOk(
      await project.cli(['deploy', 'production', '--release', '1.1.0'], { SLIPWAY_SECRET_GREETING: 'Howdy' }),
    );
    expect(calls()).toEqual(['key']);
    expect(await (await fetch(`${project.url}/`)).text()).toContain('Howdy from hello 1.1.0');
  });

  it('says which secrets changed since the last deployment, by keyed fingerprints kept in the ledger', async () => {
    // The deploys of 1.0.0 (GREETING from the command) and of 1.1.0 (GREETING overridden) ran; the failed ones
    // stopped before they were recorded.
    const history = expectOk(await project.cli(['history', 'production', '--limit', '50'])).stdout;
    expect(history).toContain('2 secrets fingerprinted; no earlier deployment to compare with');
    expect(history).toContain('GREETING changed since the last successful deployment');
    expect(history).not.toContain('API_TOKEN changed');
    const status = expectOk(await project.cli(['status', 'production'])).stdout;
    expect(status).toContain('secrets: GREETING changed since the last successful deployment');
    const key = join(project.dir, '.slipway', 'secret-fingerprint.key');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    const ledger = expectOk(await project.cli(['history', '--json', '--limit', '50'])).stdout;
    expect(ledger).not.toContain('Howdy');
    expect(ledger).not.toContain(readFileSync(key).toString('hex'));
  });

  it('secrets diff: unchanged after a deploy (exit 0), changed once the manager gives another value (exit 1)', async () => {
    project.writeConfig(config('greeting'));
    expectOk(await project.cli(['deploy', 'production', '--release', '1.1.0']));
    const same = expectOk(await project.cli(['secrets', 'diff', 'production']));
    expect(same.stdout).toMatch(/^ {2}unchanged {2}API_TOKEN$/m);
    expect(same.stdout).toMatch(/^ {2}unchanged {2}GREETING$/m);

    const other = 'Avast-77d2e0';
    writeFileSync(manager, MANAGER.replace(GREETING, other));
    const changed = await project.cli(['secrets', 'diff', 'production']);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^ {2}changed {4}GREETING$/m);
    expect(changed.stdout).toMatch(/^ {2}unchanged {2}API_TOKEN$/m);
    const json = await project.cli(['secrets', 'diff', 'production', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      environment: 'production',
      running: { release: '1.1.0' },
      secrets: [
        { name: 'API_TOKEN', state: 'unchanged' },
        { name: 'GREETING', state: 'changed' },
      ],
    });
    for (const run of [same, changed, json]) {
      const text = run.stdout + run.stderr;
      expect(text).not.toContain(GREETING);
      expect(text).not.toContain(other);
      for (const line of KEY_LINES) expect(text).not.toContain(line);
    }
    expect((await project.cli(['secrets', 'diff', 'nowhere'])).code).toBe(2);
  });
});

/** Every file under `dir`, but for the directories named in `skip` (the agent's side: a host, not the store). */
function filesUnder(dir: string, skip: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) return skip.includes(name) ? [] : filesUnder(path, []);
    return stat.isFile() ? [path] : [];
  });
}
