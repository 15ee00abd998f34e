// slipway/no-upward-import: imports between src/ folders only go down the layers (docs/architecture.md, "Layout").
//
// The layers and the known exceptions are data, in ./layers.mjs. The rule:
// - reports a value import of a folder on a higher layer (upward), or of a peer (another folder on the same layer);
// - allows type-only imports (`import type …`, `export type … from`, `typeof import(…)`): they vanish at build time;
// - reports `import { type A }` / `export { type A } from` (every name a type) like a value import when it goes up:
//   under `verbatimModuleSyntax` it still loads the module (`import {} from …`); the message says to write
//   `import type`;
// - skips tests: `*.test.ts(x)` and test support (a module that imports from 'vitest') may import anything;
// - reports a folder of src/ that is not in the table (place it on a layer);
// - reports a stale exception: the listed file no longer makes that import (or no longer exists), so the list only
//   shrinks.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

const TEST_FILE = /\.test\.tsx?$/;
const SOURCE_FILE = /\.tsx?$/;
const FIX = 'Move the shared code down, or pass it in.';

/** @type {import('eslint').Rule.RuleModule} */
export const noUpwardImport = {
  meta: {
    type: 'problem',
    docs: {
      description: 'Imports between src/ folders only go down the layers (docs/architecture.md, Layout)',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          src: { type: 'string' },
          layers: {
            type: 'array',
            items: { type: 'array', items: { type: 'string' }, minItems: 1 },
          },
          exceptions: {
            type: 'array',
            items: {
              type: 'object',
              properties: { file: { type: 'string' }, imports: { type: 'string' } },
              required: ['file', 'imports'],
              additionalProperties: false,
            },
          },
        },
        required: ['root', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      upward:
        'Upward import: src/{{from}}/ ({{fromLayer}}) imports src/{{to}}/ ({{toLayer}}), a layer above. Imports only go down (docs/architecture.md, Layout). {{fix}}',
      peer: 'Peer import: src/{{from}}/ imports src/{{to}}/, its peer on layer {{layer}}: peers do not import each other. {{fix}} (If one belongs above the other, move it up a layer in scripts/eslint/layers.mjs.)',
      inlineType:
        '`{{keyword}} { type … }` from src/{{to}}/ still loads that module (verbatimModuleSyntax), and src/{{to}}/ is not below src/{{from}}/: write `{{keyword}} type { … }`.',
      unknownFolder:
        'src/{{folder}}/ is not in the layer table (scripts/eslint/layers.mjs): put it on a layer (docs/architecture.md, Layout).',
      stale:
        'Stale layer exception: {{file}} no longer imports src/{{to}}/ upward. Remove its entry from scripts/eslint/layers.mjs (the list only shrinks).',
      staleMissing:
        'Stale layer exception: {{file}} (importing src/{{to}}/) no longer exists. Remove its entry from scripts/eslint/layers.mjs (the list only shrinks).',
    },
  },

  create(context) {
    const options = context.options[0];
    const root = options.root;
    const srcDir = resolve(root, options.src ?? 'src');
    const exceptions = options.exceptions ?? [];
    /** @type {Map<string, number>} */
    const rank = new Map();
    options.layers.forEach((layer, index) => layer.forEach((folder) => rank.set(folder, index)));
    const layerName = (folder) => {
      const index = rank.get(folder);
      return `layer ${index} of ${options.layers.length - 1}: ${options.layers[index].join(', ')}`;
    };

    const filename = context.physicalFilename ?? context.filename;
    const file = toPosix(relative(root, filename));
    const fromRelSrc = relative(srcDir, filename);
    // A file in a folder of src/ (a file at src/ itself belongs to no layer).
    const inSrc = !fromRelSrc.startsWith('..') && !fromRelSrc.startsWith(sep) && fromRelSrc.includes(sep);

    // Exceptions whose file is gone: reported once, on the first remaining source file of its directory
    // (walking up), so that `eslint .` fails on them and the list only shrinks.
    const missingHere = inSrc
      ? exceptions.filter(
          (entry) =>
            !existsSync(resolve(root, entry.file)) &&
            anchorOf(resolve(root, entry.file), srcDir, options.layers[0][0]) === filename,
        )
      : [];

    if (!inSrc) return {};
    const from = fromRelSrc.split(sep)[0];
    const isTest = TEST_FILE.test(filename);

    /** @type {{ node: import('estree').Node, source: string, kind: 'value' | 'inlineType', keyword: string }[]} */
    const imports = [];
    let importsVitest = false;

    const add = (node, source, kind, keyword) => {
      if (typeof source !== 'string') return;
      if (source === 'vitest' || source.startsWith('vitest/')) importsVitest = true;
      imports.push({ node, source, kind, keyword });
    };
    const allTypes = (specifiers) =>
      specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');

    return {
      ImportDeclaration(node) {
        if (node.importKind === 'type') return;
        add(node, node.source.value, allTypes(node.specifiers) ? 'inlineType' : 'value', 'import');
      },
      ExportNamedDeclaration(node) {
        if (!node.source || node.exportKind === 'type') return;
        add(node, node.source.value, allTypes(node.specifiers) ? 'inlineType' : 'value', 'export');
      },
      ExportAllDeclaration(node) {
        if (node.exportKind === 'type') return;
        add(node, node.source.value, 'value', 'export');
      },
      ImportExpression(node) {
        const source = node.source;
        if (source.type === 'Literal') add(node, source.value, 'value', 'import');
        else if (source.type === 'TemplateLiteral' && source.expressions.length === 0)
          add(node, source.quasis[0].value.cooked, 'value', 'import');
      },
      'Program:exit'(program) {
        for (const entry of missingHere) {
          context.report({
            loc: { line: 1, column: 0 },
            messageId: 'staleMissing',
            data: { file: entry.file, to: entry.imports },
          });
        }
        const mine = exceptions.filter((entry) => entry.file === file);
        const used = new Set();
        if (isTest || importsVitest) {
          // Tests may import anything: an exception for one is never needed (reported below as stale).
        } else if (!rank.has(from)) {
          context.report({
            node: program,
            loc: { line: 1, column: 0 },
            messageId: 'unknownFolder',
            data: { folder: from },
          });
          for (const entry of mine) used.add(entry);
        } else {
          for (const { node, source, kind, keyword } of imports) {
            if (!source.startsWith('./') && !source.startsWith('../')) continue;
            const target = relative(srcDir, resolve(dirname(filename), source));
            if (target.startsWith('..') || target === '') continue; // outside src/
            const to = target.split(sep)[0];
            if (!target.includes(sep) || to === from) continue; // a file at src/ itself, or the same folder
            if (!rank.has(to)) {
              context.report({ node, messageId: 'unknownFolder', data: { folder: to } });
              continue;
            }
            const down = rank.get(to) < rank.get(from);
            if (down) continue;
            const entry = mine.find((e) => e.imports === to);
            if (entry) {
              used.add(entry);
              continue;
            }
            if (kind === 'inlineType') {
              context.report({ node, messageId: 'inlineType', data: { from, to, keyword } });
            } else if (rank.get(to) === rank.get(from)) {
              context.report({
                node,
                messageId: 'peer',
                data: { from, to, layer: layerName(from), fix: FIX },
              });
            } else {
              context.report({
                node,
                messageId: 'upward',
                data: { from, to, fromLayer: layerName(from), toLayer: layerName(to), fix: FIX },
              });
            }
          }
        }
        for (const entry of mine) {
          if (!used.has(entry)) {
            context.report({
              loc: { line: 1, column: 0 },
              messageId: 'stale',
              data: { file: entry.file, to: entry.imports },
            });
          }
        }
      },
    };
  },
};

/** The ESLint plugin: `plugins: { slipway: slipwayPlugin }`, rule `slipway/no-upward-import`. */
export const slipwayPlugin = {
  meta: { name: 'slipway-local' },
  rules: { 'no-upward-import': noUpwardImport },
};

function toPosix(path) {
  return path.split(sep).join('/');
}

/**
 * Where to report an exception whose file is gone: the first non-test source file (by name) in its directory, else in
 * the nearest parent directory under src/ that has one, else in the bottom folder (src/core/).
 */
function anchorOf(missing, srcDir, bottomFolder) {
  for (let dir = dirname(missing); dir.startsWith(srcDir + sep); dir = dirname(dir)) {
    const first = firstSourceFile(dir);
    if (first) return first;
  }
  return firstSourceFile(resolve(srcDir, bottomFolder));
}

function firstSourceFile(dir) {
  let names = [];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter(
        (e) => e.isFile() && SOURCE_FILE.test(e.name) && !TEST_FILE.test(e.name) && !e.name.endsWith('.d.ts'),
      )
      .map((e) => e.name)
      .sort();
  } catch {
    // the directory is gone too
  }
  return names.length > 0 ? resolve(dir, names[0]) : undefined;
}
