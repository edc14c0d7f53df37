import type { Command } from 'commander';
import { ClientRegistry, type ClientRecord } from '../authserver/clients/registry.js';
import { presetNames } from '../authserver/clients/presets.js';
import { ClientAdmin } from '../authserver/clients/client-admin.js';
import { registrationText } from '../authserver/clients/paste-config.js';
import { embeddedOptions } from '../config/build.js';
import { loadConfig } from '../config/load.js';
import { openServerData } from './data.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { GatehouseConfig } from '../config/schema.js';
import type { ServerUrls } from '../resource/urls.js';
import { clientKeys, machineCredentials } from './machine-client.js';
import { UsageError } from './failure.js';
import { table } from './table.js';
import { DATA_SETTINGS, RECORDING_SETTINGS, URL_SETTINGS, type Sources, type WithSettings } from './setting-sets.js';

/** What an operator needs to hand a machine client: its credentials, where to use them, and how. */
function machineInstructions(record: ClientRecord, urls: ServerUrls): string {
  const tokenEndpoint = `${urls.issuer}/token`;
  const scope = record.scope ?? '';
  const lines = [`Registered ${record.client_name} (machine client)`, `  client_id:      ${record.client_id}`];
  if (record.client_secret) lines.push(`  client_secret:  ${record.client_secret}`, '  (shown once: store it now)');
  else lines.push(`  authenticates:  private_key_jwt, with the keys at ${record.jwks_uri ?? 'the JWKS file given'}`);
  lines.push(`  scopes:         ${scope}`, `  token endpoint: ${tokenEndpoint}`, `  MCP server:     ${urls.resource}`, '', 'Get a token:', '');
  lines.push(
    record.client_secret
      ? `  curl -u '${record.client_id}:${record.client_secret}' -d grant_type=client_credentials -d 'scope=${scope}' ${tokenEndpoint}`
      : `  curl -d grant_type=client_credentials -d 'scope=${scope}' -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer -d client_assertion=<JWT: iss and sub ${record.client_id}, aud ${urls.issuer}, a fresh jti, exp within 5 minutes> ${tokenEndpoint}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `gatehouse clients add|list|remove|rotate-secret`: the clients of the embedded (or federated) server. */
export function clientsCommand(program: Command, withSettings: WithSettings, sources: Sources): void {
  const clients = program.command('clients').description('manage the clients of the embedded or federated server');

  async function withRegistry<T>(
    options: Record<string, unknown>,
    fn: (registry: ClientRegistry, mcpUrl: string, audit: AuditLog, context: { config: GatehouseConfig; urls: ServerUrls }) => Promise<T>,
  ): Promise<T> {
    const config = loadConfig(sources(options));
    const data = await openServerData(config);
    try {
      return await fn(new ClientRegistry(data.store, embeddedOptions(config).redirectPolicy), data.urls.resource, data.audit, { config, urls: data.urls });
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
      .option('--machine', 'a machine client: tokens for itself (client_credentials), no person, no redirects')
      .option('--enterprise', 'a confidential client that redeems ID-JAGs from the --enterprise-idp providers (JWT bearer grant)')
      .option('--scope <scope...>', 'with --machine: the scopes it may ask for; with --enterprise: the most its tokens may carry (default: any of the server)')
      .option('--jwks-uri <url>', 'with --machine or --enterprise: authenticate with private_key_jwt, keys published at this URL')
      .option('--jwks-file <file>', 'with --machine or --enterprise: authenticate with private_key_jwt, public keys from this JWK Set file')
      .option('--json', 'print the registered client as JSON'),
    // The printed config names the MCP URL; the redirect policy decides which redirect URIs are accepted, the
    // loopback setting whether a machine client's keys may be fetched over plain http.
    [...DATA_SETTINGS, ...URL_SETTINGS, 'redirectPolicy', 'allowedRedirectUris', 'dangerouslyAllowLoopbackClientMetadata', ...RECORDING_SETTINGS],
  ).action(async (options: Record<string, unknown>) => {
    await withRegistry(options, async (registry, mcpUrl, audit, { config, urls }) => {
      const admin = new ClientAdmin(registry, audit);
      if (options['machine']) {
        const record = await admin.add(
          { name: options['name'] as string | undefined, machine: machineCredentials(options, config.dangerouslyAllowLoopbackClientMetadata) },
          { via: 'cli' },
        );
        process.stdout.write(options['json'] ? `${JSON.stringify(record, null, 2)}\n` : machineInstructions(record, urls));
        return;
      }
      for (const flag of ['scope', 'jwksUri', 'jwksFile'] as const) {
        if (options[flag] !== undefined && !options['enterprise'])
          throw new UsageError(
            `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for machine and enterprise clients: add --machine or --enterprise`,
            'gatehouse clients add',
          );
      }
      const record = await admin.add(
        {
          preset: options['preset'] as string | undefined,
          name: options['name'] as string | undefined,
          redirectUris: options['redirectUri'] as string[] | undefined,
          confidential: options['confidential'] as boolean | undefined,
          resourceServer: options['resourceServer'] as boolean | undefined,
          enterprise: options['enterprise'] as boolean | undefined,
          scopes: options['scope'] as string[] | undefined,
          ...(options['enterprise'] ? { keys: clientKeys(options, config.dangerouslyAllowLoopbackClientMetadata) } : {}),
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

  withSettings(
    clients
      .command('list')
      .description(
        'list every client the server stores: pre-registered apps, machine clients, resource servers and dynamically registered apps, with their last use',
      )
      .option('--json', 'print JSON'),
    DATA_SETTINGS,
  ).action(async (options: Record<string, unknown>) => {
    await withRegistry(options, async (registry) => {
      const list = await Promise.all(
        (await registry.known()).map(async ({ client_secret: _secret, ...rest }) => {
          const used = await registry.lastUse(rest.client_id);
          return { ...rest, last_used_at: used === undefined ? null : new Date(used).toISOString() };
        }),
      );
      if (options['json']) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write('no clients\n');
        return;
      }
      const when = (ms: number) => (ms ? new Date(ms).toISOString() : '-');
      process.stdout.write(
        table(
          ['CLIENT ID', 'KIND', 'NAME', 'CREATED', 'LAST USED', 'REDIRECT URIS OR SCOPES'],
          list.map((c) => [
            c.client_id,
            c.kind,
            c.client_name ?? '-',
            when(c.createdAt),
            c.last_used_at ?? 'never',
            (c.kind === 'machine' ? `scopes: ${c.scope ?? ''}` : c.redirect_uris?.join(' ')) || '-',
          ]),
        ),
      );
    });
  });

  withSettings(
    clients
      .command('rotate-secret <clientId>')
      .description('give a client a new secret; the old one stops working at once')
      .option('--json', 'print the new secret as JSON'),
    [...DATA_SETTINGS, ...RECORDING_SETTINGS],
  ).action(async (clientId: string, options: Record<string, unknown>) => {
    await withRegistry(options, async (registry, _mcpUrl, audit) => {
      const secret = await registry.rotateSecret(clientId);
      await audit.record({ type: 'client.secret_rotated', clientId, reason: 'cli' });
      process.stdout.write(
        options['json']
          ? `${JSON.stringify({ client_id: clientId, client_secret: secret }, null, 2)}\n`
          : `New secret for ${clientId}\n  client_secret: ${secret}\n  (shown once: store it now; the old secret no longer works)\n`,
      );
    });
  });

  withSettings(clients.command('remove <clientId>').description('delete a client (pre-registered or dynamically registered)'), [
    ...DATA_SETTINGS,
    ...RECORDING_SETTINGS,
  ]).action(async (clientId: string, options: Record<string, unknown>) => {
    await withRegistry(options, async (registry, _mcpUrl, audit) => {
      if (!(await new ClientAdmin(registry, audit).remove(clientId, { via: 'cli' }))) throw new Error(`no client ${clientId}`);
      process.stdout.write(`removed ${clientId}\n`);
    });
  });
}
