import type { Command } from 'commander';
import { ClientRegistry } from '../authserver/clients/registry.js';
import { DownstreamResources, type DownstreamResource } from '../authserver/downstream/downstream-resources.js';
import { loadConfig } from '../config/load.js';
import { serverIdentities, type ServerUrls } from '../resource/urls.js';
import type { AuditLog } from '../audit/audit-log.js';
import { openServerData } from './data.js';
import { OperatorError } from '../util/operator-error.js';
import { table } from './table.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, URL_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** What the operator hands the API's owner: how its tokens look, and its own credentials for exchanging them. */
function registrationText(resource: DownstreamResource, secret: string | undefined, urls: ServerUrls): string {
  return `${[
    `Registered ${resource.name} as a downstream API`,
    `  resource:       ${resource.url}`,
    `  scopes:         ${resource.scopes.join(' ')}`,
    '',
    'Tools get tokens for it with caller.tokenFor({ resource, scopes }). The API verifies them as JWTs:',
    `  issuer:         ${urls.issuer}`,
    `  JWKS:           ${urls.issuer}/jwks`,
    `  audience:       ${resource.url}  (exactly this string)`,
    '',
    'Its own credentials, to exchange the tokens it receives for tokens to a further registered API (RFC 8693),',
    'or to ask the introspection endpoint whether one still holds:',
    `  client_id:      ${resource.clientId}`,
    ...(secret ? [`  client_secret:  ${secret}`, '  (shown once: store it now)'] : []),
    `  token endpoint: ${urls.issuer}/token`,
    `  introspection:  ${urls.issuer}/token/introspection`,
  ].join('\n')}\n`;
}

/** `gatehouse resources add|list|remove`: the downstream APIs tools may call on their callers' behalf. */
export function resourcesCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  const resources = program
    .command('resources')
    .description('manage the downstream APIs tools may get tokens for (token exchange, embedded or federated server)');

  async function withResources<T>(
    options: Record<string, unknown>,
    fn: (resources: DownstreamResources, urls: ServerUrls, audit: AuditLog) => Promise<T>,
  ): Promise<T> {
    const config = loadConfig(sources(options));
    const data = await openServerData(config);
    try {
      const own = [...serverIdentities(data.urls).values()].map((identity) => identity.resource);
      return await fn(new DownstreamResources(data.store, new ClientRegistry(data.store), own), data.urls, data.audit);
    } finally {
      await data.close();
    }
  }

  withSettings(
    resources
      .command('add <url>')
      .description("register an API by its resource identifier (its tokens' audience), with the scopes it accepts")
      .requiredOption('--scope <scope...>', 'the scopes the API accepts; an exchange is also limited to what the caller was granted')
      .option('--name <name>', 'a name for it (default: its host)')
      .option('--json', 'print the registration (with the secret) as JSON'),
    [...DATA_SETTINGS, ...URL_SETTINGS, ...RECORDING_SETTINGS],
  ).action(async (url: string, options: Record<string, unknown>) => {
    await withResources(options, async (registry, urls, audit) => {
      const { resource, client } = await registry.add({ url, scopes: options['scope'] as string[], name: options['name'] as string | undefined });
      await audit.record({ type: 'client.registered', clientId: client.client_id, reason: `cli: downstream API ${resource.url}` });
      process.stdout.write(
        options['json']
          ? `${JSON.stringify({ ...resource, client_secret: client.client_secret }, null, 2)}\n`
          : registrationText(resource, client.client_secret, urls),
      );
    });
  });

  withSettings(resources.command('list').description('list the registered downstream APIs').option('--json', 'print JSON'), DATA_SETTINGS).action(
    async (options: Record<string, unknown>) => {
      await withResources(options, async (registry) => {
        const list = await registry.list();
        if (options['json']) {
          process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
          return;
        }
        if (list.length === 0) {
          process.stdout.write('no downstream APIs; add one with `gatehouse resources add <url> --scope <scope>`\n');
          return;
        }
        process.stdout.write(
          table(
            ['RESOURCE', 'NAME', 'SCOPES', 'CLIENT ID', 'CREATED'],
            list.map((r) => [r.url, r.name, r.scopes.join(' '), r.clientId, new Date(r.createdAt).toISOString()]),
          ),
        );
      });
    },
  );

  withSettings(resources.command('remove <url>').description('forget a downstream API and its credentials'), [...DATA_SETTINGS, ...RECORDING_SETTINGS]).action(
    async (url: string, options: Record<string, unknown>) => {
      await withResources(options, async (registry, _urls, audit) => {
        const resource = await registry.find(url);
        if (!resource || !(await registry.remove(url))) throw new OperatorError(`no downstream API ${url}; see \`gatehouse resources list\``);
        await audit.record({ type: 'client.removed', clientId: resource.clientId, reason: `cli: downstream API ${url}` });
        process.stdout.write(`removed ${url}; tokens already issued for it expire on their own\n`);
      });
    },
  );
}
