import { PRESETS } from '../clients/presets.js';
import { clientKindInWords, type ClientRecord } from '../clients/registry.js';
import type { EffectiveClientPolicy } from '../clients/stored-client-policy.js';
import { html, type Html } from '../web/html.js';
import { actionButton, csrfField, when } from './admin-layout.js';

export interface ClientsView {
  base: string;
  csrf: string;
  clients: readonly ClientRecord[];
  lastUse: ReadonlyMap<string, number>;
  policy: EffectiveClientPolicy;
  /** Just registered: the text to paste into the app, shown once (it may hold the secret). */
  registered?: { text: string; warning?: string };
}

export function clientsPage(view: ClientsView): Html {
  const { base, csrf } = view;
  return html`${
    view.registered
      ? html`<h2>Registered: paste this into the app</h2>
${view.registered.warning ? html`<p class="warning" role="note">${view.registered.warning}</p>` : ''}
<pre>${view.registered.text}</pre><p class="muted">A secret above is shown only now: store it before leaving this page.</p>`
      : ''
  }
<h2>Add a client</h2>
<form method="post" action="${base}/clients/add">${csrfField(csrf)}
<label for="preset">App</label>
<select id="preset" name="preset">${PRESETS.map((p) => html`<option value="${p.name}">${p.displayName}</option>`)}</select>
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
<td><strong>${client.client_name ?? client.client_id}</strong><br><code class="muted url">${client.client_id}</code></td>
<td data-label="Kind">${clientKindInWords(client)}</td>
<td class="when" data-label="Last used">${when(view.lastUse.get(client.client_id))}</td>
<td>${actionButton(`${base}/clients/remove`, csrf, 'Remove', { client_id: client.client_id })}</td>
</tr>`,
      )}</tbody></table>`
}
${policyForm(view)}`;
}

const SOURCE = { settings: 'the start-up setting', console: 'set here' } as const;

function choice(name: string, label: string, value: boolean, from: 'settings' | 'console'): Html {
  const option = (v: string, text: string, selected: boolean) => html`<option value="${v}"${selected ? html` selected` : ''}>${text}</option>`;
  return html`<label for="${name}">${label}: <strong>${value ? 'on' : 'off'}</strong> <span class="muted">(${SOURCE[from]})</span></label>
<select id="${name}" name="${name}">${option('settings', 'as the start-up setting says', from === 'settings')}${option('on', 'on', from === 'console' && value)}${option('off', 'off', from === 'console' && !value)}</select>`;
}

function policyForm(view: ClientsView): Html {
  const { policy } = view;
  const allowed = policy.allowedClients;
  return html`<h2>Client policy</h2>
<p class="muted">Applies on every replica within seconds. The start-up settings are the defaults; what is set here overrides them until set back.</p>
<form method="post" action="${view.base}/clients/policy">${csrfField(view.csrf)}
${choice('dynamic_registration', 'Dynamic registration', policy.dynamicRegistration, policy.from.dynamicRegistration)}
${choice('client_metadata_documents', 'Client ID Metadata Documents', policy.clientMetadataDocuments, policy.from.clientMetadataDocuments)}
<fieldset><legend>Allowed clients</legend>
<p class="muted">For clients that register themselves or use a metadata document; none chosen: any client. Your own clients above are always allowed.</p>
${PRESETS.map(
  (p) =>
    html`<label class="check"><input type="checkbox" name="preset_${p.name}" value="on"${allowed?.presets.includes(p.name) ? html` checked` : ''}> ${p.displayName}</label>`,
)}</fieldset>
<label for="hosts">Allowed hosts (of redirect URIs, or of metadata documents), separated by spaces or commas</label>
<input id="hosts" name="hosts" type="text" value="${allowed?.hosts.join(' ') ?? ''}">
<button class="primary" type="submit">Save the policy</button>
</form>`;
}
