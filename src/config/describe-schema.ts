import { stringify } from 'yaml';
import { z } from 'zod';
import { discriminatorValues, literalValuesAt, numberBounds, unwrapSchema } from './describe-value.js';
import { renderInitTemplate } from './init-template.js';
import { DURATION_DESCRIPTION, describeDurationBounds, durationBoundsOf } from './duration-schema.js';
import { configSchema } from './schema.js';

/**
 * The configuration reference, derived from the schema so that it cannot drift from what is validated:
 * `describeConfigSchema` walks the zod schema into rows, `renderConfigDocs` renders docs/configuration.md.
 * Both pure; scripts/gen-config-docs.ts writes the file.
 */
export interface KeyDoc {
  /** `environments.<name>.strategy.keepWarm` */
  path: string;
  type: string;
  /** `required`, `optional`, or the default as YAML. */
  default: string;
  description: string;
}

export interface SectionDoc {
  title: string;
  description: string;
  keys: KeyDoc[];
}

type Schema = z.core.$ZodType;

export function describeConfigSchema(schema: z.ZodObject = configSchema): SectionDoc[] {
  const root: SectionDoc = { title: 'Keys', description: describedAs(schema) ?? '', keys: [] };
  const sections = [root];
  walkObject(schema, '', root, sections);
  return sections;
}

function walkObject(schema: z.ZodObject, prefix: string, section: SectionDoc, sections: SectionDoc[]): void {
  for (const [key, field] of Object.entries<Schema>(schema.shape)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const inner = unwrapSchema(field);
    const description = describedAs(field) ?? discriminatorDescription(inner, prefix);
    section.keys.push({ path, type: typeName(inner), default: defaultText(field), description });
    walkNested(inner, path, section, sections);
  }
}

/** The `kind` key of a union option says which option it selects. */
function discriminatorDescription(inner: Schema, prefix: string): string {
  if (!(inner instanceof z.ZodLiteral)) return '';
  const owner = prefix.split('.').at(-1) ?? '';
  const noun = owner.endsWith('[]') ? `${owner.slice(0, -2)} entry` : owner;
  return `${[...inner.values].map((v) => `\`${String(v)}\``).join(', ')} selects this ${noun}.`;
}

function walkNested(inner: Schema, path: string, section: SectionDoc, sections: SectionDoc[]): void {
  if (inner instanceof z.ZodObject) {
    walkObject(inner, path, section, sections);
  } else if (inner instanceof z.ZodArray) {
    walkNested(unwrapSchema(inner.element), `${path}[]`, section, sections);
  } else if (inner instanceof z.ZodRecord) {
    const value = unwrapSchema(inner.valueType);
    if (value instanceof z.ZodObject || value instanceof z.ZodDiscriminatedUnion)
      walkNested(value, `${path}.<name>`, section, sections);
  } else if (inner instanceof z.ZodDiscriminatedUnion) {
    const key = inner.def.discriminator;
    for (const option of inner.options) {
      if (!(option instanceof z.ZodObject)) continue;
      const kind = literalValuesAt(option, key).join(', ');
      const optionSection: SectionDoc = {
        title: `\`${path}\` with ${key} \`${kind}\``,
        description: describedAs(option) ?? '',
        keys: [],
      };
      sections.push(optionSection);
      walkObject(option, path, optionSection, sections);
    }
  } else if (inner instanceof z.ZodUnion) {
    // `local` or a mapping (a host entry): the mapping's keys get a section of their own.
    for (const option of inner.options) {
      const mapping = unwrapSchema(option);
      if (!(mapping instanceof z.ZodObject) || Object.keys(mapping.shape).length === 0) continue;
      const optionSection: SectionDoc = {
        title: `\`${path}\` as a mapping`,
        description: describedAs(option) ?? '',
        keys: [],
      };
      sections.push(optionSection);
      walkObject(mapping, path, optionSection, sections);
    }
  }
}

/** The first description found from the outside in (`.default(…).describe(…)` describes the wrapper). */
function describedAs(schema: Schema): string | undefined {
  let current: Schema | undefined = schema;
  while (current !== undefined) {
    const description = z.globalRegistry.get(current)?.description;
    if (description !== undefined) return description;
    current = wrapped(current);
  }
  return undefined;
}

function wrapped(schema: Schema): Schema | undefined {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return schema.unwrap();
  if (schema instanceof z.ZodPipe) return schema.in;
  return undefined;
}

function defaultText(schema: Schema): string {
  for (let current: Schema | undefined = schema; current !== undefined; current = wrapped(current)) {
    if (current instanceof z.ZodDefault) return defaultValueText(current);
    if (current instanceof z.ZodOptional) return 'optional';
  }
  return 'required';
}

function defaultValueText(schema: z.ZodDefault): string {
  const value: unknown = schema.def.defaultValue;
  // A mapping whose default is just its keys' defaults is described by those keys' rows.
  const inner = unwrapSchema(schema);
  const fromKeys = inner instanceof z.ZodObject ? inner.safeParse({}) : undefined;
  if (fromKeys?.success && JSON.stringify(fromKeys.data) === JSON.stringify(value))
    return 'optional (keys below have defaults)';
  return `\`${stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim()}\``;
}

function typeName(inner: Schema): string {
  const bounds = durationBoundsOf(inner);
  if (bounds) return describeDurationBounds(bounds);
  if (inner instanceof z.ZodString) return 'string';
  if (inner instanceof z.ZodNumber) return `${inner.isInt ? 'integer' : 'number'}${rangeText(inner)}`;
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodLiteral) return [...inner.values].map((v) => JSON.stringify(v)).join(' | ');
  if (inner instanceof z.ZodEnum)
    return Object.values(inner.enum)
      .map((v) => JSON.stringify(v))
      .join(' | ');
  if (inner instanceof z.ZodArray) return `list of ${plural(typeName(unwrapSchema(inner.element)))}`;
  if (inner instanceof z.ZodRecord) return `mapping: <name> → ${typeName(unwrapSchema(inner.valueType))}`;
  if (inner instanceof z.ZodDiscriminatedUnion) {
    const key = inner.def.discriminator;
    return `mapping by ${key}: ${discriminatorValues(inner)
      .map((v) => JSON.stringify(v))
      .join(' | ')}`;
  }
  if (inner instanceof z.ZodUnion) return inner.options.map((o) => typeName(unwrapSchema(o))).join(' | ');
  if (inner instanceof z.ZodObject) return 'mapping';
  return 'value';
}

function rangeText(schema: z.ZodNumber): string {
  const { min, max } = numberBounds(schema);
  if (min !== undefined && max !== undefined) return ` ${min}–${max}`;
  if (min !== undefined) return ` ≥ ${min}`;
  if (max !== undefined) return ` ≤ ${max}`;
  return '';
}

function plural(noun: string): string {
  return /^[a-z]+$/.test(noun) ? `${noun}s` : noun;
}

export function renderConfigDocs(): string {
  const sections = describeConfigSchema();
  const [root, ...kinds] = sections;
  const lines = [
    '# Configuration reference: `slipway.yml`',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand: a test fails when this file and the schema disagree. -->',
    '',
    root?.description ?? '',
    '',
    `- **Durations** — ${DURATION_DESCRIPTION}`,
    '- **Defaults** — a key with a default may be left out; the default column shows the value used.',
    '- **Unknown keys** are errors (a misspelt key is reported with a suggestion), so a typo never silently falls back to a default.',
    '- `<name>` stands for a name you choose, such as an environment name (lower-case letters, digits and dashes).',
    '- `[]` stands for each entry of a list: `environments.<name>.hosts[].address` is the `address` of each host entry.',
    '',
  ];
  for (const section of [root, ...kinds]) {
    if (section === undefined) continue;
    lines.push(`## ${section.title}`, '');
    if (section !== root && section.description !== '') lines.push(section.description, '');
    lines.push('| Key | Type | Default | Description |', '| --- | --- | --- | --- |');
    for (const key of section.keys) {
      lines.push(
        `| \`${key.path}\` | \`${cell(key.type)}\` | ${cell(key.default)} | ${cell(key.description)} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## Example',
    '',
    'The file `slipway init` writes: every key with its default, explained.',
    '',
    '```yaml',
    renderInitTemplate({ app: 'my-app', port: 8080 }).trimEnd(),
    '```',
    '',
  );
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
