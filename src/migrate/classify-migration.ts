import { splitSqlStatements } from './split-sql.js';

/**
 * Expand migrations only add (old and new releases both work with the result), so they run before traffic
 * moves. Contract migrations remove or change what an older release may still use; they wait until no target
 * of an older release runs, and need an approval.
 */
export type MigrationPhase = 'expand' | 'contract';

export interface StatementClassification {
  /** The statement, whitespace collapsed and shortened for display. */
  statement: string;
  phase: MigrationPhase;
  reason: string;
}

export interface MigrationClassification {
  phase: MigrationPhase;
  statements: StatementClassification[];
}

interface Rule {
  pattern: RegExp;
  phase: MigrationPhase;
  reason: string;
}

const expand = (pattern: RegExp, reason: string): Rule => ({ pattern, phase: 'expand', reason });
const contract = (pattern: RegExp, reason: string): Rule => ({ pattern, phase: 'contract', reason });

/** Whole statements, first match wins. ALTER TABLE is classified per action (see ALTER_ACTION_RULES). */
const STATEMENT_RULES: Rule[] = [
  contract(/^CREATE OR REPLACE\b/, 'replaces an existing definition that the running release may use'),
  expand(/^CREATE (GLOBAL |LOCAL )?(TEMP |TEMPORARY |UNLOGGED )?TABLE\b/, 'creates a new table'),
  expand(/^CREATE (UNIQUE )?INDEX\b/, 'adds an index'),
  expand(/^CREATE (MATERIALIZED )?VIEW\b/, 'creates a new view'),
  expand(/^CREATE (SEQUENCE|TYPE|SCHEMA|EXTENSION|DOMAIN)\b/, 'creates a new object'),
  expand(/^CREATE FUNCTION\b/, 'creates a new function'),
  contract(/^CREATE (CONSTRAINT )?TRIGGER\b/, 'changes what writes to an existing table do'),
  expand(/^INSERT\b/, 'adds rows'),
  expand(/^(SELECT|WITH\b(?!.*\b(INSERT|UPDATE|DELETE)\b))\b/, 'reads only'),
  contract(/^DROP\b/, 'drops an object: its data is gone and the older release may still use it'),
  contract(/^TRUNCATE\b/, 'deletes every row of a table'),
  contract(/^DELETE\b/, 'deletes rows'),
  contract(/^UPDATE\b/, 'changes existing rows (the older release still reads and writes them)'),
  contract(/^ALTER INDEX .* RENAME\b/, 'renames an index'),
  contract(/^ALTER TYPE\b/, 'changes an existing type'),
];

const ALTER_ACTION_RULES: Rule[] = [
  contract(/^RENAME\b/, 'renames: the older release still uses the old name'),
  contract(/^DROP\b/, 'drops a column or constraint: its data is gone and the older release may use it'),
  contract(
    /^ALTER (COLUMN )?\S+ (SET DATA )?TYPE\b/,
    "changes a column's type: may rewrite or lose data, and the older release expects the old type",
  ),
  contract(/^ALTER (COLUMN )?\S+ SET NOT NULL\b/, 'NOT NULL on existing data: fails or blocks old writes'),
  expand(/^ALTER (COLUMN )?\S+ DROP NOT NULL\b/, 'relaxes a constraint'),
  expand(/^ALTER (COLUMN )?\S+ SET DEFAULT\b/, 'sets a default for new rows'),
  contract(/^ALTER (COLUMN )?\S+ DROP DEFAULT\b/, 'removes a default the older release may rely on'),
  expand(/^ADD (CONSTRAINT \S+ )?.*\bNOT VALID$/, 'adds a constraint checked for new rows only (NOT VALID)'),
  contract(
    /^ADD (CONSTRAINT \S+ )?(PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)\b/,
    "adds a constraint that existing rows and the older release's writes must satisfy",
  ),
  contract(
    /^ADD CONSTRAINT\b/,
    "adds a constraint that existing rows and the older release's writes must satisfy",
  ),
  contract(/^VALIDATE CONSTRAINT\b/, 'validates a constraint against existing rows'),
];

/** Classifies one migration file by reading its SQL. Unknown statements count as contract (the safe side). */
export function classifyMigration(sqlText: string): MigrationClassification {
  const statements = splitSqlStatements(sqlText).map(classifyStatement);
  const phase = statements.some((s) => s.phase === 'contract') ? 'contract' : 'expand';
  return { phase, statements };
}

export function classifyStatement(statement: string): StatementClassification {
  const normal = normalize(statement);
  const display = normal.length > 100 ? `${normal.slice(0, 97)}...` : normal;
  const upper = normal.toUpperCase();
  const alter = /^ALTER TABLE (IF EXISTS )?(ONLY )?("[^"]*"|\S+) (.*)$/s.exec(upper);
  if (alter) {
    const actions = splitTopLevel(alter[4] ?? '', ',').map((a) => classifyAlterAction(a.trim()));
    const worst = actions.find((a) => a.phase === 'contract') ?? actions[0];
    if (worst) return { statement: display, ...worst };
  }
  const rule = STATEMENT_RULES.find((r) => r.pattern.test(upper));
  if (rule) return { statement: display, phase: rule.phase, reason: rule.reason };
  return {
    statement: display,
    phase: 'contract',
    reason: 'not recognised: treated as contract (the safe side)',
  };
}

function classifyAlterAction(action: string): { phase: MigrationPhase; reason: string } {
  const add =
    /^ADD (COLUMN )?(IF NOT EXISTS )?(?!CONSTRAINT\b|PRIMARY KEY\b|UNIQUE\b|CHECK\b|FOREIGN KEY\b|EXCLUDE\b)(\S+) (.*)$/s.exec(
      action,
    );
  if (add) {
    const definition = add[4] ?? '';
    const notNull = /\bNOT NULL\b/.test(definition) || /\bPRIMARY KEY\b/.test(definition);
    const hasDefault = /\bDEFAULT\b/.test(definition) || /\bGENERATED\b/.test(definition);
    if (notNull && !hasDefault)
      return {
        phase: 'contract',
        reason: "adds a NOT NULL column without a default: the older release's inserts fail",
      };
    return {
      phase: 'expand',
      reason: notNull ? 'adds a column with a default' : 'adds a nullable column',
    };
  }
  const rule = ALTER_ACTION_RULES.find((r) => r.pattern.test(action));
  if (rule) return { phase: rule.phase, reason: rule.reason };
  return { phase: 'contract', reason: 'not recognised: treated as contract (the safe side)' };
}

/** Collapses whitespace; quoted text is kept as it is. */
function normalize(statement: string): string {
  return statement.replace(/\s+/g, ' ').trim();
}

/** Splits at `separator` outside parentheses and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === separator && depth === 0) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts.filter((p) => p.trim() !== '');
}
