import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { findDuplicateKeys } from './find-duplicate-keys.js';

/** Where yaml's own (quadratic) check reports duplicate keys: the reference. */
function yamlsOwn(text: string): number[] {
  return parseDocument(text, { merge: true })
    .errors.filter((e) => e.code === 'DUPLICATE_KEY')
    .map((e) => e.pos[0]);
}

function found(text: string): number[] {
  return findDuplicateKeys(parseDocument(text, { merge: true, uniqueKeys: false })).map((e) => e.pos[0]);
}

describe('findDuplicateKeys', () => {
  it.each([
    ['a repeated key', 'a: 1\nb: 2\na: 3\n', [10]],
    ['a plain and a quoted key', 'a: 1\n"a": 2\n', [5]],
    ['the same number written twice', '1: x\n1.0: y\n', [5]],
    ['a number and a string', '1: x\n"1": y\n', []],
    ['null written two ways', '~: 1\nnull: 2\n', [5]],
    ['two empty keys', ': 1\n: 2\n', [4]],
    ['true written two ways', 'true: 1\nTrue: 2\n', [8]],
    ['keys with anchors and tags', '&x a: 1\n!!str a: 2\n', [14]],
    ['an explicit key', 'a: 1\n? a\n: 2\n', [7]],
    ['in flow mappings, nested', 'k: { a: 1, "a": 2, b: [ { c: 1, c: 2 } ] }\n', [11, 32]],
    ['in a list item', '- a: 1\n  a: 2\n', [9]],
    ['two merge keys', 'x: &m { k: 1 }\ny:\n  <<: *m\n  <<: *m\n', []],
    ['a merge key and an own key', 'y:\n  <<: { a: 1 }\n  a: 2\n', []],
    ['collection keys', '? [a]\n: 1\n? [a]\n: 2\n', []],
    ['NaN keys', '.nan: 1\n.nan: 2\n', []],
    ['single-pair maps in a flow list', '[a: 1, a: 2]\n', []],
  ])('finds what yaml itself finds: %s', (_case, text, positions) => {
    expect(yamlsOwn(text)).toEqual(positions);
    expect(found(text)).toEqual(positions);
  });

  it('reports each duplicate as yaml does', () => {
    const [error] = findDuplicateKeys(parseDocument('a: 1\na: 2\n', { uniqueKeys: false }));
    expect(error).toMatchObject({ code: 'DUPLICATE_KEY', message: 'Map keys must be unique', pos: [5, 6] });
  });
});
