import type { Command } from 'commander';
import { defaultOf, envName } from '../config/settings.js';
import { copyStore } from '../store/copy.js';
import { openStore } from '../store/index.js';

/** `gatehouse store copy`: move every user, client, grant, token and key between backends (e.g. SQLite → Redis or PostgreSQL). */
export function storeCommand(program: Command): void {
  const store = program.command('store').description('move data between stores');
  store
    .command('copy')
    .description('copy all data from one store to another (records with the same id are overwritten)')
    .requiredOption('--from <url>', 'source, e.g. sqlite:.gatehouse/gatehouse.db')
    .requiredOption('--to <url>', 'target, e.g. redis://127.0.0.1:6379/0 or postgres://gatehouse@db:5432/gatehouse')
    .option(
      '--store-prefix <prefix>',
      `namespace on both sides: Redis key prefix, PostgreSQL schema (default ${defaultOf('storePrefix')})`,
      process.env[envName('storePrefix')] ?? defaultOf('storePrefix'),
    )
    .option('--from-prefix <prefix>', 'namespace of the source, when it differs')
    .option('--to-prefix <prefix>', 'namespace of the target, when it differs')
    .action(async (options: Record<string, string>) => {
      const from = await openStore(options['from']!, { prefix: options['fromPrefix'] ?? options['storePrefix'] });
      try {
        const to = await openStore(options['to']!, { prefix: options['toPrefix'] ?? options['storePrefix'] });
        try {
          const { records, members } = await copyStore(from, to);
          process.stdout.write(`copied ${records} records and ${members} group memberships\n`);
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}
