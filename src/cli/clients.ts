import type { Command } from 'commander';
import { ClientRegistry } from '../authserver/clients/registry.js';
import { presetNames } from '../authserver/clients/presets.js';
import { ClientAdmin } from '../authserver/clients/client-admin.js';
import { registrationText } from '../authserver/clients/paste-config.js';
import { embeddedOptions } from '../config/build.js';
import { loadConfig } from '../config/load.js';
import { openServerData } from './data.js';
import type { AuditLog } from '../audit/audit-log.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, URL_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** `gatehouse clients add|list|remove`: pre-registered clients of the embedded server. */
export function clientsCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  const clients = program.command('clients').description('manage pre-registered clients (embedded mode)');

  async function withRegistry<T>(options: Record<string, unknown>, fn: (registry: ClientRegistry, mcpUrl: string, audit: AuditLog) => Promise<T>): Promise<T> {
    const config = loadConfig(sources(options));
    const data = await openServerData(config);
    try {
      return await fn(new ClientRegistry(data.store, embeddedOptions(config).redirectPolicy), data.urls.resource, data.audit);
    } finally {
      await data.close();
    }
  }

  withSettings(
    clients
      .command('add')
      .description('register a client and print the config to paste into it')
      .option('--preset <name>', `a known client: ${presetNames().join(', ')}`)
      .option('--name <name>', 'display name shown on the consent page')
      .option('--redirect-uri <uri...>', "redirect URIs (in addition to the preset's)")
      .option('--confidential', 'issue a client secret (for server-side clients)')
      .option('--resource-server', 'credentials for a resource server to call the introspection endpoint')
      .option('--json', 'print the registered client as JSON'),
    // The printed config names the MCP URL; the redirect policy decides which redirect URIs are accepted.
    [...DATA_SETTINGS, ...URL_SETTINGS, 'redirectPolicy', 'allowedRedirectUris', ...RECORDING_SETTINGS],
  ).action(async (options: Record<string, unknown>) => {
    await withRegistry(options, async (registry, mcpUrl, audit) => {
      const record = await new ClientAdmin(registry, audit).add(
        {
          preset: options['preset'] as string | undefined,
          name: options['name'] as string | undefined,
          redirectUris: options['redirectUri'] as string[] | undefined,
          confidential: options['confidential'] as boolean | undefined,
          resourceServer: options['resourceServer'] as boolean | undefined,
        },
        { via: 'cli' },
      );
      if (options['json']) {
        process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
        return;
      }
      const { text, warning } = registrationText(record, mcpUrl);
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(text);
    });
  });

  withSettings(clients.command('list').description('list pre-registered clients').option('--json', 'print JSON'), DATA_SETTINGS).action(
    async (options: Record<string, unknown>) => {
      await withRegistry(options, async (registry) => {
        const list = (await registry.list()).map(({ client_secret: _secret, ...rest }) => rest);
        if (options['json']) {
          process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
          return;
        }
        if (list.length === 0) process.stdout.write('no pre-registered clients\n');
        for (const c of list) process.stdout.write(`${c.client_id}\t${c.client_name}\t${c.redirect_uris.join(' ')}\n`);
      });
    },
  );

  withSettings(clients.command('remove <clientId>').description('delete a pre-registered client'), [...DATA_SETTINGS, ...RECORDING_SETTINGS]).action(
    async (clientId: string, options: Record<string, unknown>) => {
      await withRegistry(options, async (registry, _mcpUrl, audit) => {
        if (!(await new ClientAdmin(registry, audit).remove(clientId, { via: 'cli' }))) throw new Error(`no client ${clientId}`);
        process.stdout.write(`removed ${clientId}\n`);
      });
    },
  );
}
