import type { Command } from 'commander';
import { ClientRegistry } from '../authserver/clients/registry.js';
import { findPreset, presetNames } from '../authserver/clients/presets.js';
import { publicUrlWarning } from '../authserver/clients/public-url.js';
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
      .option('--enterprise', 'a confidential client that redeems ID-JAGs from the --enterprise-idp providers (JWT bearer grant)')
      .option('--scope <scope...>', 'with --enterprise: the most scopes its tokens may carry (default: any of the server)')
      .option('--json', 'print the registered client as JSON'),
    // The printed config names the MCP URL; the redirect policy decides which redirect URIs are accepted.
    [...DATA_SETTINGS, ...URL_SETTINGS, 'redirectPolicy', 'allowedRedirectUris', ...RECORDING_SETTINGS],
  ).action(async (options: Record<string, unknown>) => {
    await withRegistry(options, async (registry, mcpUrl, audit) => {
      const record = await registry.add({
        preset: options['preset'] as string | undefined,
        name: options['name'] as string | undefined,
        redirectUris: options['redirectUri'] as string[] | undefined,
        confidential: options['confidential'] as boolean | undefined,
        resourceServer: options['resourceServer'] as boolean | undefined,
        enterprise: options['enterprise'] as boolean | undefined,
        scopes: options['scope'] as string[] | undefined,
      });
      await audit.record({ type: 'client.registered', clientId: record.client_id, reason: 'cli' });
      if (options['json']) {
        process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
        return;
      }
      process.stdout.write(`Registered ${record.client_name}\n  client_id:     ${record.client_id}\n`);
      if (record.client_secret) process.stdout.write(`  client_secret: ${record.client_secret}\n  (shown once: store it now)\n`);
      const preset = record.gatehouse_preset ? findPreset(record.gatehouse_preset) : undefined;
      const warning = preset && publicUrlWarning(preset, mcpUrl);
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      if (preset) {
        process.stdout.write(`\n${preset.configLocation}:\n\n${preset.configSnippet(mcpUrl, record.client_id, record.client_secret)}\n`);
      }
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
        if (!(await registry.remove(clientId))) throw new Error(`no client ${clientId}`);
        await audit.record({ type: 'client.removed', clientId, reason: 'cli' });
        process.stdout.write(`removed ${clientId}\n`);
      });
    },
  );
}
