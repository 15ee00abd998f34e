import type { Command } from 'commander';
import { isoAt } from '../core/clock.js';
import { addUser, changeUserPassword, removeUser, toUserView } from '../server/auth/manage-users.js';
import { formatGrant, parseGrant } from '../server/auth/roles.js';
import { withProject, type GlobalOptions } from './project.js';
import { green } from './progress-renderer.js';
import { readPassword } from './read-password.js';
import { authContext, formatTable } from './token.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `slipway user add|list|remove|passwd`: the dashboard's users, straight in the store (the first admin is made so). */
export function registerUser(program: Command, globals: () => GlobalOptions): void {
  const user = program.command('user').description("the dashboard's users (in the store; no server needed)");

  user
    .command('add')
    .description('add a user; the password comes from SLIPWAY_PASSWORD or stdin, never an argument')
    .argument('<name>', 'the login name (also what the ledger records)')
    .requiredOption(
      '--role <role[:envs]>',
      'viewer, deployer, approver or admin, optionally :env1,env2 (repeatable)',
      collect,
      [],
    )
    .action(async (name: string, opts: { role: string[] }) => {
      const grants = opts.role.map(parseGrant);
      const password = await readPassword(process.env);
      await withProject(globals(), async (project) => {
        const added = await addUser(authContext(project), { name, password, grants });
        process.stdout.write(
          green(`✔ user ${added.name} added (${added.grants.map(formatGrant).join(' ')})\n`),
        );
      });
    });

  user
    .command('list')
    .description('list users and their roles')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withProject(globals(), async (project) => {
        const users = (await project.store.listUsers()).map(toUserView);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(users, null, 2)}\n`);
          return;
        }
        if (users.length === 0) {
          process.stdout.write(
            'no users yet; add one with: SLIPWAY_PASSWORD=… slipway user add ana --role admin\n',
          );
          return;
        }
        const rows = [
          ['NAME', 'ROLES', 'CREATED', 'BY', 'PASSWORD CHANGED'],
          ...users.map((u) => [
            u.name,
            u.grants.map(formatGrant).join(' '),
            isoAt(u.createdAtMs),
            u.createdBy,
            isoAt(u.passwordChangedAtMs),
          ]),
        ];
        process.stdout.write(formatTable(rows));
      });
    });

  user
    .command('remove')
    .description('remove a user (their sessions end)')
    .argument('<name>')
    .action(async (name: string) => {
      await withProject(globals(), async (project) => {
        await removeUser(authContext(project), name);
        process.stdout.write(green(`✔ user ${name} removed\n`));
      });
    });

  user
    .command('passwd')
    .description("set a user's password (SLIPWAY_PASSWORD or stdin); their sessions end")
    .argument('<name>')
    .action(async (name: string) => {
      const password = await readPassword(process.env);
      await withProject(globals(), async (project) => {
        await changeUserPassword(authContext(project), name, password);
        process.stdout.write(green(`✔ password of ${name} changed\n`));
      });
    });
}
