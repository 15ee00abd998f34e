import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { KeyPath } from './path-issue.js';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/**
 * Where a key path is written in a parsed YAML document: the key itself (`at: 'key'`) or its value
 * (`at: 'value'`). A path that is only partly in the file (a missing key, a default) resolves to the deepest
 * key that is there; an empty value (`publicPort:`) resolves to its key, since there is nothing else to point at.
 */
export function locateInYaml(
  doc: Document,
  lineCounter: LineCounter,
  path: KeyPath,
  at: 'key' | 'value',
): SourcePosition {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const segment of path) {
    const container = deref(doc, node);
    const next = isMap(container)
      ? findPair(doc, container, String(segment), 0)
      : isSeq(container) && typeof segment === 'number'
        ? { key: container.items[segment], value: container.items[segment] }
        : undefined;
    if (next?.key === undefined || next.key === null) return positionOf(lineCounter, keyNode ?? node);
    keyNode = next.key;
    node = next.value;
  }
  if (at === 'key' || isEmptyScalar(node)) return positionOf(lineCounter, keyNode ?? node);
  return positionOf(lineCounter, node ?? keyNode);
}

/** The 1-based line and column of a character offset (YAML parse errors carry offsets). */
export function positionAtOffset(lineCounter: LineCounter, offset: number): SourcePosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

const MAX_MERGE_DEPTH = 10;

/** A map's own pair for the key, else one inherited through `<<: *anchor` merge keys (own keys win, as in toJS). */
function findPair(doc: Document, map: YAMLMap, key: string, depth: number): Pair | undefined {
  const own = ownPairs(map).get(key);
  if (own || depth > MAX_MERGE_DEPTH) return own;
  for (const pair of map.items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const merged = deref(doc, source);
      const found = isMap(merged) ? findPair(doc, merged, key, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * A map's pairs by key, built once per map: a file with 100 000 wrong `env` entries has as many issues to
 * place, and a scan of the map for each would take minutes.
 */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function ownPairs(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (index === undefined) {
    index = new Map();
    for (const pair of map.items) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      if (!index.has(name)) index.set(name, pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

/** yaml marks a parsed `<<` merge key with a symbol; a document built in code may use the plain string. */
function isMergeKey(node: unknown): boolean {
  if (!isScalar(node)) return false;
  const value = node.value;
  return value === '<<' || (typeof value === 'symbol' && value.description === '<<');
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function isEmptyScalar(node: unknown): boolean {
  if (!isScalar(node) || node.value !== null) return false;
  return !node.range || node.range[0] === node.range[1];
}

function positionOf(lineCounter: LineCounter, node: unknown): SourcePosition {
  const offset = isNode(node) ? node.range?.[0] : undefined;
  return offset === undefined ? { line: 1, column: 1 } : positionAtOffset(lineCounter, offset);
}
