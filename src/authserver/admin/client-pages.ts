import type { Context, Hono } from 'hono';
import { InvalidRequestError } from '../../util/http-error.js';
import type { ClientAdmin } from '../clients/client-admin.js';
import { registrationText } from '../clients/paste-config.js';
import { PRESETS } from '../clients/presets.js';
import type { ClientRegistry } from '../clients/registry.js';
import { effectiveClientPolicy, isHostName, type ClientPolicyStore, type PolicySettings, type StoredClientPolicy } from '../clients/stored-client-policy.js';
import { seeOther } from '../web/html.js';
import type { AdminRequest } from './admin-access.js';
import { clientsPage, clientsView } from './client-views.js';
import type { ConsoleContext } from './console-context.js';

export interface ClientPagesDeps {
  registry: ClientRegistry;
  clients: ClientAdmin;
  policy: ClientPolicyStore;
  /** The start-up settings the stored policy overrides. */
  settings: PolicySettings;
  applyPolicy(): Promise<void>;
  /** The MCP URL the paste-ready config names. */
  mcpUrl: string;
}

const NOTICES: Record<string, string> = {
  removed: 'The client was removed: it can no longer sign anyone in or refresh its tokens.',
  'not-found': 'There is no such client.',
  policy: 'The client policy was saved and applies now.',
};

/** Clients (list, add from a preset, remove) and the client policy. */
export function mountClientPages(app: Hono, ctx: ConsoleContext, deps: ClientPagesDeps): void {
  const { base, access } = ctx;

  const render = async (c: Context, admin: AdminRequest, registered?: { text: string; warning?: string }) => {
    const clients = await deps.registry.listAll();
    const body = clientsPage(
      clientsView(base, admin.csrf, {
        clients,
        lastUse: await lastUse(ctx),
        policy: effectiveClientPolicy(deps.settings, deps.policy.current()),
        registered,
      }),
    );
    return ctx.render(c, admin, { section: 'clients', title: 'Clients', notice: NOTICES[c.req.query('notice') ?? ''] }, body);
  };

  app.get(`${base}/clients`, async (c) => render(c, await access.require(c)));

  app.post(`${base}/clients/add`, (c) =>
    ctx.change(c, async (admin, form) => {
      const name = form['name']?.trim();
      const record = await deps.clients
        .add({ preset: form['preset'] ?? '', ...(name && { name }) }, { via: 'admin console', actor: admin.admin.id })
        .catch((error: unknown) => {
          throw new InvalidRequestError(error instanceof Error ? error.message : 'The client could not be added');
        });
      // Shown on the answer to the POST, never in a URL: the text may hold the client secret.
      return render(c, admin, registrationText(record, deps.mcpUrl));
    }),
  );

  app.post(`${base}/clients/remove`, (c) =>
    ctx.change(c, async (admin, form) => {
      const removed = await deps.clients.remove(form['client_id'] ?? '', { via: 'admin console', actor: admin.admin.id });
      return seeOther(`${base}/clients?notice=${removed ? 'removed' : 'not-found'}`);
    }),
  );

  app.post(`${base}/clients/policy`, (c) =>
    ctx.change(c, async (admin, form) => {
      const policy = policyFrom(form);
      await deps.policy.save(policy);
      await ctx.audit.record({ type: 'client.policy_changed', actor: admin.admin.id, reason: policyLine(policy) });
      await deps.applyPolicy();
      return seeOther(`${base}/clients?notice=policy`);
    }),
  );
}

function policyFrom(form: Record<string, string>): StoredClientPolicy {
  const toggle = (name: string) => {
    const value = form[name] ?? 'settings';
    if (!['settings', 'on', 'off'].includes(value)) throw new InvalidRequestError(`${name} is one of settings, on, off`);
    return value === 'settings' ? undefined : value === 'on';
  };
  const presets = PRESETS.filter((p) => form[`preset_${p.name}`] === 'on').map((p) => p.name);
  const hosts = [
    ...new Set(
      (form['hosts'] ?? '')
        .split(/[\s,]+/)
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  const badHost = hosts.find((h) => !isHostName(h));
  if (badHost) throw new InvalidRequestError(`"${badHost}" is not a host name: give names like claude.ai, without https:// or a path`);
  const dynamicRegistration = toggle('dynamic_registration');
  const clientMetadataDocuments = toggle('client_metadata_documents');
  return {
    ...(dynamicRegistration !== undefined && { dynamicRegistration }),
    ...(clientMetadataDocuments !== undefined && { clientMetadataDocuments }),
    ...((presets.length > 0 || hosts.length > 0) && { allowedClients: { presets, hosts } }),
  };
}

/** The policy in a line for the audit log. */
function policyLine(policy: StoredClientPolicy): string {
  const toggle = (value: boolean | undefined) => (value === undefined ? 'setting' : value ? 'on' : 'off');
  const allowed = policy.allowedClients ? `${[...policy.allowedClients.presets, ...policy.allowedClients.hosts].join(' ')}` : 'any';
  return `dynamic registration ${toggle(policy.dynamicRegistration)}, metadata documents ${toggle(policy.clientMetadataDocuments)}, allowed clients ${allowed}`;
}

/** When each client last got or renewed a token or called a tool, from the audit log. */
async function lastUse(ctx: ConsoleContext): Promise<Map<string, number>> {
  const used = new Map<string, number>();
  for (const event of await ctx.audit.list({ limit: Number.MAX_SAFE_INTEGER })) {
    if (!event.clientId || !['token.issued', 'token.refreshed', 'tool.called'].includes(event.type)) continue;
    if ((used.get(event.clientId) ?? 0) < event.at) used.set(event.clientId, event.at);
  }
  return used;
}
