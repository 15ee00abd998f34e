import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { EXCEPTIONS, LAYERS } from '../../scripts/eslint/layers.mjs';
import { noUpwardImport, type NoUpwardImportOptions } from '../../scripts/eslint/no-upward-import.mjs';

// The rule slipway/no-upward-import (scripts/eslint/no-upward-import.mjs) on a small tree of its own, bottom first:
// core; config and store (peers); plan; cli. A few files exist on disk, for the exceptions whose file is gone.

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = mkdtempSync(join(tmpdir(), 'slipway-layers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
for (const file of [
  'src/core/a.ts',
  'src/plan/a.test.ts',
  'src/plan/b.ts',
  'src/plan/c.ts',
  'src/cli/x.ts',
]) {
  mkdirSync(join(root, file, '..'), { recursive: true });
  writeFileSync(join(root, file), '');
}

const layers = [['core'], ['config', 'store'], ['plan'], ['cli']];
const options = (exceptions: NoUpwardImportOptions['exceptions'] = []): [NoUpwardImportOptions] => [
  { root, layers, exceptions },
];
const at = (file: string) => join(root, file);

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

tester.run('no-upward-import', noUpwardImport, {
  valid: [
    { name: 'down a layer', filename: at('src/plan/c.ts'), code: "import { a } from '../core/a.js';" },
    { name: 'down two layers', filename: at('src/cli/y.ts'), code: "import { a } from '../config/a.js';" },
    { name: 'the same folder', filename: at('src/plan/c.ts'), code: "import { b } from './b.js';" },
    {
      name: 'a subfolder of the same folder',
      filename: at('src/cli/remote/r.ts'),
      code: "import { x } from '../x.js'; import { y } from './deep/y.js';",
    },
    {
      name: 'a dynamic import down',
      filename: at('src/cli/y.ts'),
      code: "const m = await import('../plan/b.js');",
    },
    {
      name: 'packages and node builtins',
      filename: at('src/core/z.ts'),
      code: "import 'node:fs'; import 'zod';",
    },
    { name: 'import type, up', filename: at('src/core/z.ts'), code: "import type { X } from '../cli/x.js';" },
    {
      name: 'import type with a default, up',
      filename: at('src/core/z.ts'),
      code: "import type X from '../cli/x.js';",
    },
    {
      name: 'export type from, up',
      filename: at('src/core/z.ts'),
      code: "export type { X } from '../cli/x.js';",
    },
    {
      name: 'export type * from, up',
      filename: at('src/core/z.ts'),
      code: "export type * from '../cli/x.js';",
    },
    {
      name: 'typeof import(), up (a type)',
      filename: at('src/core/z.ts'),
      code: "type M = typeof import('../cli/x.js');",
    },
    {
      name: 'import type of a peer',
      filename: at('src/config/z.ts'),
      code: "import type { Store } from '../store/index.js';",
    },
    {
      name: 'a test may import anything',
      filename: at('src/core/z.test.ts'),
      code: "import { x } from '../cli/x.js'; import { n } from '../nowhere/n.js';",
    },
    {
      name: 'test support (imports vitest) may import anything',
      filename: at('src/core/kit.ts'),
      code: "import { afterAll } from 'vitest'; import { x } from '../cli/x.js';",
    },
    {
      name: 'a file outside src/ is not checked',
      filename: at('test/helpers/h.ts'),
      code: "import { x } from '../../src/cli/x.js';",
    },
    {
      name: 'an import of something outside src/ is not checked',
      filename: at('src/core/z.ts'),
      code: "import pkg from '../../package.json' with { type: 'json' };",
    },
    {
      name: 'a listed exception, still needed',
      filename: at('src/plan/c.ts'),
      code: "import { x } from '../cli/x.js'; export { y } from '../cli/y.js';",
      options: options([{ file: 'src/plan/c.ts', imports: 'cli' }]),
    },
    {
      name: 'an exception whose file is gone is reported on the first source file of its folder, not on others',
      filename: at('src/plan/c.ts'),
      code: '',
      options: options([{ file: 'src/plan/gone.ts', imports: 'cli' }]),
    },
  ].map((test) => ({ options: options(), ...test })),

  invalid: [
    {
      name: 'a value import one layer up',
      filename: at('src/core/z.ts'),
      code: "import { loadConfig } from '../config/load.js';",
      errors: [
        {
          messageId: 'upward',
          data: {
            from: 'core',
            to: 'config',
            fromLayer: 'layer 0 of 3: core',
            toLayer: 'layer 1 of 3: config, store',
            fix: 'Move the shared code down, or pass it in.',
          },
        },
      ],
    },
    {
      name: 'the message names both layers and the fix',
      filename: at('src/plan/c.ts'),
      code: "import { x } from '../cli/x.js';",
      errors: [
        {
          message:
            'Upward import: src/plan/ (layer 2 of 3: plan) imports src/cli/ (layer 3 of 3: cli), a layer above. Imports only go down (docs/architecture.md, Layout). Move the shared code down, or pass it in.',
        },
      ],
    },
    {
      name: 'an import of a peer',
      filename: at('src/config/z.ts'),
      code: "import { openStore } from '../store/index.js';",
      errors: [{ messageId: 'peer' }],
    },
    {
      name: 'every form of a value import, up',
      filename: at('src/plan/c.ts'),
      code: [
        "import '../cli/side-effect.js';",
        "import * as all from '../cli/all.js';",
        "import d from '../cli/default.js';",
        "import { type T, value } from '../cli/mixed.js';",
        "export { x } from '../cli/x.js';",
        "export * from '../cli/star.js';",
        "const lazy = await import('../cli/lazy.js');",
        'const tpl = await import(`../cli/template.js`);',
      ].join('\n'),
      errors: Array.from({ length: 8 }, () => ({ messageId: 'upward' })),
    },
    {
      name: 'import { type … } up still loads the module',
      filename: at('src/plan/c.ts'),
      code: "import { type X, type Y } from '../cli/x.js';",
      errors: [{ messageId: 'inlineType', data: { from: 'plan', to: 'cli', keyword: 'import' } }],
    },
    {
      name: 'export { type … } from, up, still loads the module',
      filename: at('src/plan/c.ts'),
      code: "export { type X } from '../cli/x.js';",
      errors: [{ messageId: 'inlineType', data: { from: 'plan', to: 'cli', keyword: 'export' } }],
    },
    {
      name: 'a folder missing from the table, imported',
      filename: at('src/plan/c.ts'),
      code: "import { n } from '../newcomer/n.js';",
      errors: [{ messageId: 'unknownFolder', data: { folder: 'newcomer' } }],
    },
    {
      name: 'a file in a folder missing from the table',
      filename: at('src/newcomer/n.ts'),
      code: "import { a } from '../core/a.js';",
      errors: [{ messageId: 'unknownFolder', data: { folder: 'newcomer' } }],
    },
    {
      name: 'an exception covers only the folder it names',
      filename: at('src/core/z.ts'),
      code: "import { x } from '../cli/x.js'; import { b } from '../plan/b.js';",
      options: options([{ file: 'src/core/z.ts', imports: 'cli' }]),
      errors: [{ message: /imports src\/plan\//u }],
    },
    {
      name: 'an exception for another file does not apply',
      filename: at('src/plan/c.ts'),
      code: "import { x } from '../cli/x.js';",
      options: options([{ file: 'src/plan/b.ts', imports: 'cli' }]),
      errors: [{ messageId: 'upward' }],
    },
    {
      name: 'a stale exception: the import is gone',
      filename: at('src/plan/c.ts'),
      code: "import { a } from '../core/a.js';",
      options: options([{ file: 'src/plan/c.ts', imports: 'cli' }]),
      errors: [{ messageId: 'stale', data: { file: 'src/plan/c.ts', to: 'cli' }, line: 1, column: 1 }],
    },
    {
      name: 'a stale exception: only a type import is left',
      filename: at('src/plan/c.ts'),
      code: "import type { X } from '../cli/x.js';",
      options: options([{ file: 'src/plan/c.ts', imports: 'cli' }]),
      errors: [{ messageId: 'stale' }],
    },
    {
      name: 'a stale exception: the import goes down now',
      filename: at('src/plan/c.ts'),
      code: "import { a } from '../core/a.js';",
      options: options([{ file: 'src/plan/c.ts', imports: 'core' }]),
      errors: [{ messageId: 'stale', data: { file: 'src/plan/c.ts', to: 'core' } }],
    },
    {
      name: 'a stale exception: the file is a test',
      filename: at('src/plan/c.test.ts'),
      code: "import { x } from '../cli/x.js';",
      options: options([{ file: 'src/plan/c.test.ts', imports: 'cli' }]),
      errors: [{ messageId: 'stale' }],
    },
    {
      name: 'a stale exception: the file is gone (reported on the first source file of its folder)',
      filename: at('src/plan/b.ts'),
      code: '',
      options: options([{ file: 'src/plan/gone.ts', imports: 'cli' }]),
      errors: [{ messageId: 'staleMissing', data: { file: 'src/plan/gone.ts', to: 'cli' } }],
    },
    {
      name: 'a stale exception: its folder is gone too (reported on the first file of the bottom layer)',
      filename: at('src/core/a.ts'),
      code: '',
      options: options([{ file: 'src/removed/gone.ts', imports: 'cli' }]),
      errors: [{ messageId: 'staleMissing' }],
    },
  ].map((test) => ({ options: options(), ...test })),
});

describe('the layer table (scripts/eslint/layers.mjs)', () => {
  it('puts every folder on exactly one layer', () => {
    const folders = LAYERS.flat();
    expect(new Set(folders).size).toBe(folders.length);
    expect(LAYERS[0]).toEqual(['core']);
  });

  it('lists exceptions of src/ files into folders of the table, each once, and none into a lower folder', () => {
    const rank = new Map(LAYERS.flatMap((layer, i) => layer.map((folder) => [folder, i] as const)));
    const keys = EXCEPTIONS.map((e) => `${e.file} -> ${e.imports}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const { file, imports } of EXCEPTIONS) {
      const from = /^src\/([^/]+)\//.exec(file)?.[1];
      expect(from, file).toBeDefined();
      expect(rank.get(imports), imports).toBeGreaterThanOrEqual(rank.get(from!)!);
    }
  });
});
