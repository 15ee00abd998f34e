import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely';

/** What a NUL character in a text value becomes on PostgreSQL (U+FFFD, the replacement character). */
export const NUL_REPLACEMENT = '\uFFFD';

/**
 * PostgreSQL's text cannot hold the NUL character (SQLite's can): a step error or ledger message that quotes a
 * crashed program's output containing one would make the write fail, and with it the deployment's record.
 * Such characters are replaced in every string parameter before it is sent. (JSON columns are unaffected:
 * JSON.stringify writes NUL as the escape `\u0000`.)
 */
export class PostgresTextPlugin implements KyselyPlugin {
  readonly #transformer = new NulReplacingTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

class NulReplacingTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    return typeof node.value === 'string' && node.value.includes('\0')
      ? { ...node, value: replaceNul(node.value) }
      : node;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return node.values.some((v) => typeof v === 'string' && v.includes('\0'))
      ? { ...node, values: node.values.map((v) => (typeof v === 'string' ? replaceNul(v) : v)) }
      : node;
  }
}

function replaceNul(text: string): string {
  return text.replaceAll('\0', NUL_REPLACEMENT);
}
