import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, createTestProject, expectOk, type TestProject } from '../helpers/project.js';

// `slipway completion bash` sourced in a real bash: the completion function, called as bash calls it (COMP_WORDS,
// COMP_CWORD), asks the built CLI for candidates: verbs, the project's environments (slipway.yml) and its
// releases (the store). `slipway` is a shell function running dist/cli.js here, as the installed bin would.

let project: TestProject;

beforeAll(async () => {
  project = await createTestProject();
  expectOk(await project.cli(['release', 'create', '--version', '1.0.0']));
  expectOk(await project.cli(['release', 'create', '--version', '1.1.0']));
});

afterAll(async () => {
  await project?.dispose();
});

/** What bash offers for `words` (the command line up to the cursor; the last word is being typed). */
function complete(words: string[]): Promise<string[]> {
  const script = `
slipway() { "$NODE" "$CLI" "$@"; }
source <(slipway completion bash)
complete -p slipway
COMP_WORDS=(slipway ${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length}
_slipway_complete
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd: project.dir, env: { ...process.env, NODE: process.execPath, CLI } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`bash failed: ${stderr}`));
        const [registered, ...candidates] = stdout.split('\n').filter((line) => line !== '');
        if (registered !== 'complete -o default -F _slipway_complete slipway') {
          return reject(new Error(`the script registered no completion for slipway: ${stdout}`));
        }
        resolve(candidates);
      },
    );
  });
}

describe('slipway completion bash', () => {
  it('completes verbs, environments and release versions', async () => {
    expect(await complete(['de'])).toEqual(['deploy', 'demo']);
    expect(await complete(['deploy', ''])).toEqual(['production']);
    expect(await complete(['rollback', 'production', '--to', '1.'])).toEqual(['1.1.0', '1.0.0']);
    expect(await complete(['release', ''])).toEqual(['create']);
  });
});
