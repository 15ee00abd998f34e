/**
 * Splits a migration file into statements at top-level semicolons. Quotes ('…', "…"), PostgreSQL dollar
 * quotes ($$…$$, $tag$…$tag$), line comments (-- …) and block comments are respected; comments are dropped
 * from the returned statements. Pure.
 */
export function splitSqlStatements(sqlText: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const n = sqlText.length;
  const flush = (): void => {
    const text = current.trim();
    if (text) statements.push(text);
    current = '';
  };
  while (i < n) {
    const ch = sqlText[i] as string;
    const next = sqlText[i + 1];
    if (ch === '-' && next === '-') {
      const end = sqlText.indexOf('\n', i);
      i = end === -1 ? n : end;
      current += ' ';
      continue;
    }
    if (ch === '/' && next === '*') {
      const end = sqlText.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      current += ' ';
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = closingQuote(sqlText, i, ch);
      current += sqlText.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '$') {
      const tag = /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sqlText.slice(i))?.[0];
      if (tag) {
        const end = sqlText.indexOf(tag, i + tag.length);
        const stop = end === -1 ? n : end + tag.length;
        current += sqlText.slice(i, stop);
        i = stop;
        continue;
      }
    }
    if (ch === ';') {
      flush();
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  flush();
  return statements;
}

/** Index just past the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return text.length;
}
