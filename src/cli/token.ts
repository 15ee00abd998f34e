import { InvalidArgumentError, type Command } from 'commander';
import {
  createApiTokenFor,
  formatTokenTime,
  MAX_TOKEN_EXPIRY,
  parseTokenExpiry,
  revokeApiTokenBy,
  toApiTokenView,
  TokenExpiryError,
} from '../server/auth/manage-api-tokens.js';
import type { AuthContext } from '../server/auth/auth-events.js';
import { formatGrant, parseGrant } from '../server/auth/roles.js';
import type { Project } from '../control-plane/open-project.js';
import { withProject, type GlobalOptions } from './project.js';
import { dim, green } from './progress-renderer.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--expires` is checked while the arguments are parsed: a bad one is a usage error (exit 2), nothing stored. */
function parseExpiresOption(value: string): number {
  try {
    return parseTokenExpiry(value, '--expires');
  } catch (err) {
    // Commander says which option and value; the reason completes its sentence.
    if (err instanceof TokenExpiryError)
      throw new InvalidArgumentError(`${err.reason.charAt(0).toUpperCase()}${err.reason.slice(1)}.`);
    throw err;
  }
}

/** `slipway token create|list|revoke`: the server's API tokens, straight in the store (no server needed). */
export function registerToken(program: Command, globals: () => GlobalOptions): void {
  const token = program
    .command('token')
    .description("the server's API tokens (in the store; no server needed)");

  token
    .command('create')
    .description('create an API token and print it once (only its hash is stored)')
    .requiredOption('--subject <name>', 'who acts with it: the name the ledger records (e.g. ci)')
    .requiredOption(
      '--role <role[:envs]>',
      'viewer, deployer, approver or admin, optionally :env1,env2 (repeatable)',
      collect,
      [],
    )
    .option(
      '--expires <duration>',
      `expire after this long, e.g. 90d, at most ${MAX_TOKEN_EXPIRY} (default: never)`,
      parseExpiresOption,
    )
    .option('--description <text>', 'what it is for', '')
    .action(async (opts: { subject: string; role: string[]; expires?: number; description: string }) => {
      const grants = opts.role.map(parseGrant);
      await withProject(globals(), async (project) => {
        const { token: secret, record } = await createApiTokenFor(authContext(project), {
          subject: opts.subject,
          description: opts.description,
          grants,
          expiresInMs: opts.expires ?? null,
        });
        // The token alone on stdout (TOKEN=$(slipway token create …)); the rest on stderr.
        process.stdout.write(`${secret}\n`);
        process.stderr.write(
          green(`✔ token ${record.id} for ${record.subject} (${record.grants.map(formatGrant).join(' ')})`) +
            dim(
              `${record.expiresAtMs === null ? '' : `, expires ${formatTokenTime(record.expiresAtMs)}`}; it is shown only now\n`,
            ),
        );
      });
    });

  token
    .command('list')
    .description('list API tokens (never their hashes), newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const tokens = (await project.store.listApiTokens()).map(toApiTokenView);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(tokens, null, 2)}\n`);
          return;
        }
        if (tokens.length === 0) {
          process.stdout.write(
            'no tokens yet; create one with: slipway token create --subject ci --role deployer\n',
          );
          return;
        }
        const rows = [
          ['ID', 'SUBJECT', 'ROLES', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'],
          ...tokens.map((t) => [
            t.id,
            t.subject,
            t.grants.map(formatGrant).join(' '),
            // Any stored value is shown, one that is no date as such: a bad row must not hide the others.
            formatTokenTime(t.createdAtMs),
            formatTokenTime(t.lastUsedAtMs),
            formatTokenTime(t.expiresAtMs),
            formatTokenTime(t.revokedAtMs),
          ]),
        ];
        process.stdout.write(formatTable(rows));
      });
    });

  token
    .command('revoke')
    .description('revoke an API token (it stops working at once; the record stays)')
    .argument('<id>', 'the token id (slipway token list)')
    .action(async (id: string) => {
      await withProject(globals(), async (project) => {
        await revokeApiTokenBy(authContext(project), id);
        process.stdout.write(green(`✔ token ${id} revoked\n`));
      });
    });
}

export function authContext(project: Project): AuthContext {
  return { store: project.store, clock: project.clock, app: project.config.app, actor: project.actor };
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}
