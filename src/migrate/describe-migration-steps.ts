import type { BackupDatabaseStep, MigrateStep, PlannedMigration } from './migration-steps.js';

/** `slipway plan` text of a backup step. Pure. */
export function describeBackupStep(s: BackupDatabaseStep): string {
  const how =
    s.database.kind === 'postgres'
      ? 'pg_dump (custom format), checked with pg_restore --list'
      : 'SQLite online backup, checked with integrity_check';
  return `back up ${s.database.where} (${how}), stored with release ${s.release}; keep the newest ${s.retain}`;
}

/** `slipway plan` text of a migrate step: every migration with its classification and the reason per statement. */
export function describeMigrateStep(s: MigrateStep): string {
  const lines: string[] = [];
  const where = s.database.where;
  if (s.command)
    lines.push(
      `run "${s.command.run}" from release ${s.release} against ${where} (not classified: Slipway cannot read what a command does)`,
    );
  else if (s.up.length === 0 && s.down.length === 0) lines.push(`no migration runs on ${where}`);
  else
    lines.push(
      `${s.phase === 'contract' ? 'contract' : 'expand'} migrations of ${s.release} on ${where}, one transaction each, under the migration lock${s.requireOnlyRelease ? `; only if no target of another release runs` : ''}:`,
    );
  for (const m of s.up) lines.push(...describeMigration('run', m));
  for (const d of s.down)
    lines.push(`  revert ${d.name} (${d.phase}, applied by ${d.release}) with its down migration`);
  for (const m of s.held) lines.push(...describeMigration('hold', m));
  if (s.held.length)
    lines.push(
      `  held migrations run with "slipway migrate ${s.environment} --contract" once no target of an older release runs, after an approval`,
    );
  return lines.join('\n     ');
}

function describeMigration(verb: 'run' | 'hold', m: PlannedMigration): string[] {
  return [
    `  ${verb} ${m.name}: ${m.phase}${m.hasDown ? ' (has a down migration)' : ''}`,
    ...m.statements.map((st) => `    ${st.phase === 'expand' ? '+' : '!'} ${st.statement} — ${st.reason}`),
  ];
}

export function titleMigrateStep(s: MigrateStep): string {
  if (s.command) return 'migrate (command)';
  const parts = [
    ...(s.up.length ? [`${s.up.length} ${s.phase}`] : []),
    ...(s.down.length ? [`${s.down.length} down`] : []),
    ...(s.held.length ? [`${s.held.length} held`] : []),
  ];
  return `migrate database (${parts.join(', ') || 'nothing to run'})`;
}
