import type { Command } from 'commander';
import { accountLabel } from '../authserver/people/accounts.js';
import { loadConfig } from '../config/load.js';
import { openServerData, promptPassword, readPasswordFromStdin } from './data.js';
import { table } from './table.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** Account commands record what they change. */
const USERS_SETTINGS = [...DATA_SETTINGS, ...RECORDING_SETTINGS];

async function passwordFrom(options: Record<string, unknown>): Promise<string> {
  if (options['passwordStdin']) return readPasswordFromStdin();
  const first = await promptPassword('Password: ');
  const second = await promptPassword('Repeat password: ');
  if (first !== second) throw new Error('the passwords do not match');
  return first;
}

/** `gatehouse users add|list|remove|passwd|disable|enable|grant-admin|revoke-admin`: local accounts of the embedded server. */
export function usersCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  const users = program.command('users').description('manage accounts: by email, account id, or <provider>:<login> (e.g. github:octocat)');
  const run =
    // biome-ignore lint/suspicious/noExplicitAny: each subcommand's action takes its own argument list from commander
      (fn: (data: Awaited<ReturnType<typeof openServerData>>, ...args: any[]) => Promise<void>) =>
      // biome-ignore lint/suspicious/noExplicitAny: commander passes the arguments, then the options, then the Command
      async (...args: any[]) => {
        const command = args[args.length - 1] as Command;
        const data = await openServerData(loadConfig(sources(command.opts())));
        try {
          await fn(data, ...args);
        } finally {
          await data.close();
        }
      };

  withSettings(
    users
      .command('add <email>')
      .description('create an account')
      .option('--password-stdin', 'read the password from standard input')
      .option('--admin', 'with the admin role: may use the admin console at /admin'),
    USERS_SETTINGS,
  ).action(
    run(async (data, email: string, options: Record<string, unknown>) => {
      const admin = options['admin'] === true;
      const user = await data.accounts.create(email, await passwordFrom(options), { admin });
      await data.audit.record({ type: 'account.created', subject: user.id, reason: admin ? 'admin (cli)' : 'cli' });
      process.stdout.write(`created ${user.email} (${user.id})${admin ? ', an admin' : ''}\n`);
    }),
  );

  for (const [name, admin] of [
    ['grant-admin', true],
    ['revoke-admin', false],
  ] as const) {
    withSettings(
      users.command(`${name} <account>`).description(admin ? 'give the admin role (the admin console at /admin)' : 'take the admin role away'),
      USERS_SETTINGS,
    ).action(
      run(async (data, reference: string) => {
        const user = await data.people.setAdmin(reference, admin, { via: 'cli' });
        process.stdout.write(`${accountLabel(user)} ${admin ? 'is now an admin' : 'is no longer an admin'}\n`);
      }),
    );
  }

  withSettings(users.command('list').description('list accounts').option('--json', 'print JSON'), DATA_SETTINGS).action(
    run(async (data, options: Record<string, unknown>) => {
      const list = await data.accounts.list();
      if (options['json']) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write('no accounts\n');
        return;
      }
      process.stdout.write(
        table(
          ['ACCOUNT', 'ID', 'STATUS', 'ROLE', 'CREATED'],
          list.map((user) => [
            accountLabel(user),
            user.id,
            user.disabled ? 'disabled' : 'active',
            user.admin ? 'admin' : '-',
            new Date(user.createdAt).toISOString(),
          ]),
        ),
      );
    }),
  );

  withSettings(users.command('remove <account>').description('delete an account and disconnect all its apps'), USERS_SETTINGS).action(
    run(async (data, email: string) => {
      const user = await data.people.remove(email, { via: 'cli' });
      process.stdout.write(`removed ${accountLabel(user)}\n`);
    }),
  );

  withSettings(
    users.command('passwd <email>').description('set a new password').option('--password-stdin', 'read the password from standard input'),
    USERS_SETTINGS,
  ).action(
    run(async (data, email: string, options: Record<string, unknown>) => {
      await data.accounts.setPassword(email, await passwordFrom(options));
      await data.audit.record({ type: 'account.changed', subject: (await data.accounts.resolve(email)).id, reason: 'password set (cli)' });
      process.stdout.write('password changed\n');
    }),
  );

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    withSettings(
      users.command(`${name} <email>`).description(disabled ? 'stop an account from signing in and using its tokens' : 'allow a disabled account again'),
      USERS_SETTINGS,
    ).action(
      run(async (data, email: string) => {
        const user = await data.people.setDisabled(email, disabled, { via: 'cli' });
        process.stdout.write(`${accountLabel(user)} ${disabled ? 'disabled' : 'enabled'}\n`);
      }),
    );
  }
}
