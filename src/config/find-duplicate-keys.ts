import { isMap, isScalar, visit, YAMLParseError, type Document } from 'yaml';

/**
 * The keys written twice in one mapping, reported as yaml itself reports them (DUPLICATE_KEY at the later key),
 * found in one pass with a set per mapping. yaml's own check compares each key with every earlier key of its
 * mapping, so an `env` of 100 000 names took minutes; the document is parsed with `uniqueKeys: false` and
 * checked here instead.
 */
export function findDuplicateKeys(doc: Document): YAMLParseError[] {
  const found: YAMLParseError[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      // Same equality as yaml's: scalar keys by value (NaN is never equal), other keys by identity.
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key: unknown = pair.key;
        const identity = isScalar(key) ? key.value : key;
        if (typeof identity === 'number' && Number.isNaN(identity)) continue;
        if (!seen.has(identity)) {
          seen.add(identity);
          continue;
        }
        const offset = isScalar(key) && key.range ? key.range[0] : 0;
        found.push(new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
      }
    },
  });
  return found;
}
