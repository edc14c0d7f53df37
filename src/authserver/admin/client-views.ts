import { PRESETS } from '../clients/presets.js';
import { clientKindInWords, type ClientRecord } from '../clients/registry.js';
import type { EffectiveClientPolicy } from '../clients/stored-client-policy.js';
import { html, type Html } from '../web/html.js';
import { templatedBody } from '../web/templated-page.js';
import { actionButton, csrfField, when } from './admin-layout.js';

/** One of the policy's switches: the start-up setting, or on or off as set in the console. */
export interface PolicyToggle {
  /** The select's name in the form. */
  name: string;
  label: string;
  /** Whether it is on now. */
  on: boolean;
  from: 'settings' | 'console';
  /** Where `on` comes from, in words. */
  source: string;
  /** The select's options: `settings`, `on` and `off`, the current one selected. */
  choices: { value: string; text: string; selected: boolean }[];
}

export interface ClientsView {
  csrf: string;
  /** Adds a client from a preset: posts `preset`, `name` (optional) and `csrf`. */
  addAction: string;
  /** Removes a client: posts `client_id` and `csrf`. */
  removeAction: string;
  /** Saves the policy: posts the toggles' names, `preset_<name>=on` for each allowed preset, `hosts` and `csrf`. */
  policyAction: string;
  /** The apps a client can be added as, each allowed or not by the policy. */
  presets: { name: string; displayName: string; allowed: boolean }[];
  clients: { clientId: string; name: string; kind: string; lastUsedAt: string }[];
  /** Just registered: the text to paste into the app, shown once (it may hold the secret). */
  registered?: { text: string; warning?: string };
  policy: { dynamicRegistration: PolicyToggle; clientMetadataDocuments: PolicyToggle; hosts: string };
}

export interface ClientsFacts {
  clients: readonly ClientRecord[];
  lastUse: ReadonlyMap<string, number>;
  policy: EffectiveClientPolicy;
  registered?: { text: string; warning?: string } | undefined;
}

const SOURCE = { settings: 'the start-up setting', console: 'set here' } as const;

function toggle(name: string, label: string, on: boolean, from: 'settings' | 'console'): PolicyToggle {
  const choices = [
    { value: 'settings', text: 'as the start-up setting says', selected: from === 'settings' },
    { value: 'on', text: 'on', selected: from === 'console' && on },
    { value: 'off', text: 'off', selected: from === 'console' && !on },
  ];
  return { name, label, on, from, source: SOURCE[from], choices };
}

export function clientsView(base: string, csrf: string, facts: ClientsFacts): ClientsView {
  const { policy } = facts;
  return {
    csrf,
    addAction: `${base}/clients/add`,
    removeAction: `${base}/clients/remove`,
    policyAction: `${base}/clients/policy`,
    presets: PRESETS.map((p) => ({ name: p.name, displayName: p.displayName, allowed: policy.allowedClients?.presets.includes(p.name) === true })),
    clients: facts.clients.map((client) => ({
      clientId: client.client_id,
      name: client.client_name ?? client.client_id,
      kind: clientKindInWords(client),
      lastUsedAt: when(facts.lastUse.get(client.client_id)),
    })),
    ...(facts.registered && { registered: facts.registered }),
    policy: {
      dynamicRegistration: toggle('dynamic_registration', 'Dynamic registration', policy.dynamicRegistration, policy.from.dynamicRegistration),
      clientMetadataDocuments: toggle(
        'client_metadata_documents',
        'Client ID Metadata Documents',
        policy.clientMetadataDocuments,
        policy.from.clientMetadataDocuments,
      ),
      hosts: policy.allowedClients?.hosts.join(' ') ?? '',
    },
  };
}

export const clientsPage = templatedBody<ClientsView>(
  'admin-clients',
  (view) => html`${
    view.registered
      ? html`<h2>Registered: paste this into the app</h2>
${view.registered.warning ? html`<p class="warning" role="note">${view.registered.warning}</p>` : ''}
<pre>${view.registered.text}</pre><p class="muted">A secret above is shown only now: store it before leaving this page.</p>`
      : ''
  }
<h2>Add a client</h2>
<form method="post" action="${view.addAction}">${csrfField(view.csrf)}
<label for="preset">App</label>
<select id="preset" name="preset">${view.presets.map((p) => html`<option value="${p.name}">${p.displayName}</option>`)}</select>
<label for="name">Name on the consent page (optional)</label>
<input id="name" name="name" type="text">
<button class="primary" type="submit">Add</button>
</form>
<h2>Clients</h2>
${
  view.clients.length === 0
    ? html`<p>No clients are registered.</p>`
    : html`<table class="stack">
<thead><tr><th scope="col">Client</th><th scope="col">Kind</th><th scope="col">Last used</th><th scope="col"><span class="muted">Action</span></th></tr></thead>
<tbody>${view.clients.map(
        (client) => html`<tr>
<td><strong>${client.name}</strong><br><code class="muted url">${client.clientId}</code></td>
<td data-label="Kind">${client.kind}</td>
<td class="when" data-label="Last used">${client.lastUsedAt}</td>
<td>${actionButton(view.removeAction, view.csrf, 'Remove', { client_id: client.clientId })}</td>
</tr>`,
      )}</tbody></table>`
}
${policyForm(view)}`,
);

function choice(toggle: PolicyToggle): Html {
  return html`<label for="${toggle.name}">${toggle.label}: <strong>${toggle.on ? 'on' : 'off'}</strong> <span class="muted">(${toggle.source})</span></label>
<select id="${toggle.name}" name="${toggle.name}">${toggle.choices.map((c) => html`<option value="${c.value}"${c.selected ? html` selected` : ''}>${c.text}</option>`)}</select>`;
}

function policyForm(view: ClientsView): Html {
  return html`<h2>Client policy</h2>
<p class="muted">Applies on every replica within seconds. The start-up settings are the defaults; what is set here overrides them until set back.</p>
<form method="post" action="${view.policyAction}">${csrfField(view.csrf)}
${choice(view.policy.dynamicRegistration)}
${choice(view.policy.clientMetadataDocuments)}
<fieldset><legend>Allowed clients</legend>
<p class="muted">For clients that register themselves or use a metadata document; none chosen: any client. Your own clients above are always allowed.</p>
${view.presets.map(
  (p) => html`<label class="check"><input type="checkbox" name="preset_${p.name}" value="on"${p.allowed ? html` checked` : ''}> ${p.displayName}</label>`,
)}</fieldset>
<label for="hosts">Allowed hosts (of redirect URIs, or of metadata documents), separated by spaces or commas</label>
<input id="hosts" name="hosts" type="text" value="${view.policy.hosts}">
<button class="primary" type="submit">Save the policy</button>
</form>`;
}
