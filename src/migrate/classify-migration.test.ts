import { describe, expect, it } from 'vitest';
import { classifyMigration, classifyStatement } from './classify-migration.js';
import { splitSqlStatements } from './split-sql.js';

describe('splitSqlStatements', () => {
  it('splits at top-level semicolons, keeping quotes, dollar quotes and dropping comments', () => {
    const sql = `-- users; not a statement
CREATE TABLE users (id int, note text DEFAULT 'a;b');
/* block; comment */ INSERT INTO users VALUES (1, 'it''s; fine');
CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
SELECT 1`;
    expect(splitSqlStatements(sql)).toEqual([
      "CREATE TABLE users (id int, note text DEFAULT 'a;b')",
      "INSERT INTO users VALUES (1, 'it''s; fine')",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql',
      'SELECT 1',
    ]);
  });

  it('gives nothing for a file of comments', () => {
    expect(splitSqlStatements('-- nothing\n/* here */\n;')).toEqual([]);
  });
});

describe('classifyStatement', () => {
  const table: Array<[string, 'expand' | 'contract', RegExp]> = [
    ['CREATE TABLE notes (id serial primary key, body text not null)', 'expand', /new table/],
    ['create table if not exists notes (id int)', 'expand', /new table/],
    ['CREATE INDEX notes_body ON notes (body)', 'expand', /index/],
    ['CREATE UNIQUE INDEX CONCURRENTLY u ON notes (body)', 'expand', /index/],
    ['ALTER TABLE notes ADD COLUMN tag text', 'expand', /nullable column/],
    ['ALTER TABLE notes ADD tag text', 'expand', /nullable column/],
    ["ALTER TABLE notes ADD COLUMN tag text NOT NULL DEFAULT 'x'", 'expand', /with a default/],
    ['ALTER TABLE notes ADD COLUMN tag text NOT NULL', 'contract', /NOT NULL column without a default/],
    ['ALTER TABLE notes ADD COLUMN a int, ADD COLUMN b int', 'expand', /nullable/],
    ['ALTER TABLE notes ADD COLUMN a int, DROP COLUMN b', 'contract', /drops a column/],
    ['ALTER TABLE notes DROP COLUMN body', 'contract', /drops a column/],
    ['ALTER TABLE notes RENAME COLUMN body TO text', 'contract', /renames/],
    ['ALTER TABLE notes RENAME TO memos', 'contract', /renames/],
    ['ALTER TABLE notes ALTER COLUMN body TYPE varchar(10)', 'contract', /type/],
    ['ALTER TABLE notes ALTER body SET DATA TYPE int', 'contract', /type/],
    ['ALTER TABLE notes ALTER COLUMN body SET NOT NULL', 'contract', /NOT NULL on existing data/],
    ['ALTER TABLE notes ALTER COLUMN body DROP NOT NULL', 'expand', /relaxes/],
    ["ALTER TABLE notes ALTER COLUMN body SET DEFAULT ''", 'expand', /default/],
    ['ALTER TABLE notes ALTER COLUMN body DROP DEFAULT', 'contract', /default/],
    ['ALTER TABLE notes ADD CONSTRAINT c CHECK (id > 0)', 'contract', /constraint/],
    ['ALTER TABLE notes ADD CONSTRAINT c CHECK (id > 0) NOT VALID', 'expand', /NOT VALID/],
    ['ALTER TABLE notes ADD PRIMARY KEY (id)', 'contract', /constraint/],
    ['ALTER TABLE notes VALIDATE CONSTRAINT c', 'contract', /validates/],
    ['DROP TABLE notes', 'contract', /drops an object/],
    ['DROP INDEX notes_body', 'contract', /drops an object/],
    ['TRUNCATE notes', 'contract', /every row/],
    ['DELETE FROM notes WHERE id = 1', 'contract', /deletes rows/],
    ['UPDATE notes SET body = lower(body)', 'contract', /changes existing rows/],
    ["INSERT INTO notes (body) VALUES ('seed')", 'expand', /adds rows/],
    ['SELECT pg_sleep(1)', 'expand', /reads only/],
    ['CREATE OR REPLACE VIEW v AS SELECT 1', 'contract', /replaces/],
    ['CREATE VIEW v AS SELECT 1', 'expand', /new view/],
    ['CREATE TRIGGER t BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION f()', 'contract', /writes/],
    ['GRANT SELECT ON notes TO app', 'contract', /not recognised/],
    ['VACUUM notes', 'contract', /not recognised/],
    ['ALTER TABLE notes SET UNLOGGED', 'contract', /not recognised/],
  ];
  it.each(table)('%s → %s', (sql, phase, reason) => {
    const result = classifyStatement(sql);
    expect(result.phase).toBe(phase);
    expect(result.reason).toMatch(reason);
  });
});

describe('classifyMigration', () => {
  it('is contract when any statement is, and gives a reason per statement', () => {
    const result = classifyMigration(
      'CREATE TABLE a (id int);\nALTER TABLE b DROP COLUMN c;\nCREATE INDEX i ON a (id);',
    );
    expect(result.phase).toBe('contract');
    expect(result.statements.map((s) => s.phase)).toEqual(['expand', 'contract', 'expand']);
  });

  it('is expand when every statement only adds', () => {
    expect(classifyMigration('CREATE TABLE a (id int); ALTER TABLE a ADD COLUMN n text;').phase).toBe(
      'expand',
    );
  });
});
