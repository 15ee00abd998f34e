import {
  chmodSync,
  existsSync,
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
import { decryptAgeFile, parseAgeIdentities } from '../../src/config/age-secrets-file.js';
import { createTestProject, expectOk, spawnCli, type TestProject } from '../helpers/project.js';
import { waitFor } from '../helpers/wait-for.js';

// Secrets from an age-encrypted file committed to the repository (issue 20). The identity is made by
// `slipway secrets keygen`, the file written by `slipway secrets edit` with a script standing in for the editor.
// The deployed example app reads one value (GREETING, in its answer) and logs another, multi-line one (API_TOKEN,
// with LOG_API_TOKEN=1). Neither may show in any output, nor in anything Slipway keeps.

const GREETING = 'Ahoy-age-5e0b2c';
const KEY_LINES = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSi',
  '-----END PRIVATE KEY-----',
];
const SECRETS = `# production\nGREETING=${GREETING}\nAPI_TOKEN="${KEY_LINES.join('\\n')}"\n`;

// The editor: records the path it was given, then writes $NEW_TEXT's file over it (or exits with $EDITOR_EXIT).
// With $EDITOR_HANG it writes its pid and waits (a person still editing).
const EDITOR = `#!/bin/sh
echo "$1" >> "$(dirname "$0")/opened"
[ -n "$EDITOR_EXIT" ] && exit "$EDITOR_EXIT"
[ -n "$EDITOR_HANG" ] && echo $$ > "$EDITOR_HANG" && exec sleep 30
cat "$NEW_TEXT" > "$1"
`;

describe('secrets from an age-encrypted file', () => {
  let project: TestProject;
  let tools: string;
  let keyFile: string;
  let recipient: string;
  let strangerRecipient: string;
  const encrypted = (): string => join(project.dir, 'secrets', 'production.env.age');

  const edit = async (text: string | null, exit?: number, env: Record<string, string> = {}) => {
    const newText = join(tools, 'new-text');
    if (text !== null) writeFileSync(newText, text);
    return project.cli(['secrets', 'edit', 'production'], {
      EDITOR: join(tools, 'editor'),
      VISUAL: '',
      NEW_TEXT: newText,
      ...(exit === undefined ? {} : { EDITOR_EXIT: String(exit) }),
      ...env,
    });
  };
  const writeConfig = (recipients: string[]): void =>
    project.writeConfig(
      project
        .config({
          secrets: ['API_TOKEN', 'GREETING'],
          env: { LOG_API_TOKEN: '1' },
          environmentExtra: [
            '    encryptedSecrets:',
            '      path: secrets/production.env.age',
            `      recipients: [${recipients.join(', ')}]`,
            `      identity: ${keyFile}`,
          ].join('\n'),
        })
        .replace('  GREETING: "Hello"\n', ''),
    );
  const opened = (): string[] => readFileSync(join(tools, 'opened'), 'utf8').trim().split('\n');
  const decrypted = async (): Promise<string> => {
    const parsed = parseAgeIdentities(readFileSync(keyFile, 'utf8'));
    if (parsed.kind !== 'identities') throw new Error('no identity');
    const result = await decryptAgeFile(readFileSync(encrypted()), parsed.identities);
    if (result.kind !== 'decrypted') throw new Error(result.kind);
    return result.text;
  };

  beforeAll(async () => {
    project = await createTestProject();
    tools = mkdtempSync(join(tmpdir(), 'sw-age-tools-'));
    writeFileSync(join(tools, 'editor'), EDITOR);
    chmodSync(join(tools, 'editor'), 0o755);
    keyFile = join(tools, 'keys', 'hello.key');
    const keygen = expectOk(await project.cli(['secrets', 'keygen', '--out', keyFile]));
    recipient = keygen.stdout.trim();
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect((await project.cli(['secrets', 'keygen', '--out', keyFile])).stderr).toContain(
      `already exists; keygen never overwrites an identity\nhint: its recipient: ${recipient}`,
    );
    writeConfig([recipient]);
    expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  }, 120_000);
  afterAll(async () => {
    await project?.dispose();
    if (tools) rmSync(tools, { recursive: true, force: true });
  });

  it('secrets edit creates the file from a template, encrypted, and removes the plaintext', async () => {
    // Made with a key that is not a recipient: saved as asked, with a warning; then made again with the right one.
    const stranger = join(tools, 'stranger.key');
    strangerRecipient = expectOk(await project.cli(['secrets', 'keygen', '--out', stranger])).stdout.trim();
    const lockedOut = expectOk(await edit(SECRETS, undefined, { SLIPWAY_AGE_IDENTITY_FILE: stranger }));
    expect(lockedOut.stderr).toContain(
      `warning: the identity file ${stranger} (SLIPWAY_AGE_IDENTITY_FILE) is not among the recipients: you cannot decrypt secrets/production.env.age yourself`,
    );
    rmSync(encrypted());
    const created = expectOk(await edit(SECRETS));
    expect(created.stderr).toBe('encrypted secrets/production.env.age to 1 recipient\n');
    const plain = opened().at(-1);
    expect(plain).toMatch(/slipway-secrets-[^/]+\/production\.env$/);
    expect(existsSync(plain ?? '')).toBe(false);
    const armored = readFileSync(encrypted(), 'utf8');
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(armored).not.toContain(GREETING);
    expect(await decrypted()).toBe(SECRETS);
  });

  it('delivers the values to the app, and shows and keeps none of them', async () => {
    const plan = expectOk(await project.cli(['plan', 'production', '--release', '1.0.0', '--json']));
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '1.0.0']));
    expect(await (await fetch(`${project.url}/`)).text()).toContain(`${GREETING} from hello 1.0.0`);
    const logs = await waitFor('the key in the logs', async () => {
      const out = expectOk(await project.cli(['logs', 'production'])).stdout;
      return out.includes('API_TOKEN at start') ? out : undefined;
    });
    expect(logs).toContain('API_TOKEN at start: [redacted]');
    const history = expectOk(await project.cli(['history', '--json', '--limit', '100']));
    const status = expectOk(await project.cli(['status', '--json']));
    const diff = expectOk(await project.cli(['secrets', 'diff', 'production']));
    expect(diff.stdout).toMatch(/^ {2}unchanged {2}GREETING$/m);
    const kept = filesUnder(join(project.dir, '.slipway'), ['agent']).map((f) => readFileSync(f, 'latin1'));
    for (const text of [
      plan.stdout,
      deploy.stdout,
      deploy.stderr,
      logs,
      history.stdout,
      status.stdout,
      diff.stdout,
      ...kept,
    ]) {
      expect(text).not.toContain(GREETING);
      for (const line of KEY_LINES) expect(text).not.toContain(line);
    }
  });

  it('stops before anything changes with a wrong or missing identity, saying so, never a value', async () => {
    expectOk(await project.cli(['release', 'create', '--version', '1.1.0']));
    const stranger = join(tools, 'stranger.key');
    const wrong = await project.cli(['deploy', 'production', '--release', '1.1.0'], {
      SLIPWAY_AGE_IDENTITY_FILE: stranger,
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `encrypted secrets of environment production (secrets/production.env.age): no identity matches the file's recipients: the identity file ${stranger} (SLIPWAY_AGE_IDENTITY_FILE) is not one of them`,
    );
    const missing = await project.cli(['deploy', 'production', '--release', '1.1.0'], {
      SLIPWAY_AGE_IDENTITY_FILE: join(tools, 'nowhere.key'),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      `the identity file ${join(tools, 'nowhere.key')} (SLIPWAY_AGE_IDENTITY_FILE) does not exist`,
    );
    const editing = await project.cli(['secrets', 'edit', 'production'], {
      SLIPWAY_AGE_IDENTITY_FILE: stranger,
    });
    expect(editing.code).toBe(1);
    expect(editing.stderr).toContain("no identity matches the file's recipients");
    for (const run of [wrong, missing, editing]) {
      expect(run.stdout + run.stderr).not.toContain(GREETING);
      for (const line of KEY_LINES) expect(run.stdout + run.stderr).not.toContain(line);
    }
    expect(await (await fetch(`${project.url}/`)).text()).toContain(`${GREETING} from hello 1.0.0`);
    // Overrides of every secret need no identity: the file is not even read (the values are those deployed).
    const overridden = await project.cli(['secrets', 'diff', 'production'], {
      SLIPWAY_AGE_IDENTITY_FILE: stranger,
      SLIPWAY_SECRET_GREETING: GREETING,
      SLIPWAY_SECRET_API_TOKEN: KEY_LINES.join('\n'),
    });
    expect(overridden).toMatchObject({ code: 0, stderr: '' });
    expect(overridden.stdout).toMatch(/^ {2}unchanged {2}GREETING$/m);
  });

  it('secrets edit leaves the file untouched on a failing editor, no change, or text that is not NAME=value lines', async () => {
    const before = readFileSync(encrypted(), 'utf8');
    const failing = await edit('GREETING=other\n', 2);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(
      'the editor exited with code 2; secrets/production.env.age was left as it was',
    );
    const same = expectOk(await edit(SECRETS));
    expect(same.stderr).toContain('no change; secrets/production.env.age was left as it was');
    const invalid = await edit(`${SECRETS}not a line s3cret\n`);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('the text is not NAME=value lines (line 4)');
    expect(invalid.stderr).not.toContain('s3cret');
    expect(readFileSync(encrypted(), 'utf8')).toBe(before);
    for (const plain of opened()) expect(existsSync(plain)).toBe(false);
  });

  it('secrets edit removes the plaintext, and stops the editor, when it is terminated', async () => {
    const before = readFileSync(encrypted(), 'utf8');
    const pidFile = join(tools, 'editor.pid');
    const run = spawnCli(project, ['secrets', 'edit', 'production'], {
      EDITOR: join(tools, 'editor'),
      EDITOR_HANG: pidFile,
    });
    const editorPid = await waitFor('the editor', () =>
      Promise.resolve(existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined),
    );
    const plain = opened().at(-1) ?? '';
    expect(readFileSync(plain, 'utf8')).toBe(SECRETS);
    run.child.kill('SIGTERM');
    expect(await run.done).toBe(143);
    expect(existsSync(plain)).toBe(false);
    await waitFor('the editor to stop', () => Promise.resolve(isRunning(editorPid) ? undefined : true));
    expect(readFileSync(encrypted(), 'utf8')).toBe(before);
  });

  it('an edited value reaches the app on the next deploy, and secrets diff sees it first', async () => {
    const next = 'Avast-age-91c3d7';
    expectOk(await edit(SECRETS.replace(GREETING, next)));
    expect(await decrypted()).toBe(SECRETS.replace(GREETING, next));
    const diff = await project.cli(['secrets', 'diff', 'production']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^ {2}changed {4}GREETING$/m);
    const deploy = expectOk(await project.cli(['deploy', 'production', '--release', '1.1.0']));
    expect(await (await fetch(`${project.url}/`)).text()).toContain(`${next} from hello 1.1.0`);
    expect(deploy.stdout + deploy.stderr).not.toContain(next);
  });

  it('secrets edit --reencrypt encrypts the same text to a recipient added to slipway.yml', async () => {
    const stranger = join(tools, 'stranger.key');
    const asStranger = { SLIPWAY_AGE_IDENTITY_FILE: stranger };
    expect((await project.cli(['secrets', 'diff', 'production'], asStranger)).stderr).toContain(
      "no identity matches the file's recipients",
    );
    writeConfig([recipient, strangerRecipient]);
    const same = expectOk(
      await project.cli(['secrets', 'edit', 'production'], { EDITOR: 'true', VISUAL: '' }),
    );
    expect(same.stderr).toContain('no change; secrets/production.env.age was left as it was');
    const again = expectOk(
      await project.cli(['secrets', 'edit', 'production', '--reencrypt'], { EDITOR: 'true', VISUAL: '' }),
    );
    expect(again.stderr).toBe('encrypted secrets/production.env.age to 2 recipients\n');
    const diff = await project.cli(['secrets', 'diff', 'production'], asStranger);
    expect(diff).toMatchObject({ code: 0, stderr: '' });
    expect(diff.stdout).toMatch(/^ {2}unchanged {2}GREETING$/m);
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every file under `dir`, but for the directories named in `skip` (the agent's side: a host, not the store). */
function filesUnder(dir: string, skip: readonly string[]): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory()) return skip.includes(name) ? [] : filesUnder(path, []);
    return stat.isFile() ? [path] : [];
  });
}
