import { html } from '../web/html.js';
import { templatedBody } from '../web/templated-page.js';
import { actionButton } from './admin-layout.js';

export interface KeysView {
  /** The key generation now in use (it changes with every rotation). */
  generation: number;
  /** Each signing key: `kid`, `alg` and what it does now (`signs new tokens`, `published; signs from …`…). */
  keys: { kid: string; alg: string; status: string }[];
  /** Rotates the signing keys: posts `csrf`. */
  rotateAction: string;
  csrf: string;
}

/** The signing keys, and a rotation. */
export const keysPage = templatedBody<KeysView>(
  'admin-keys',
  (
    view,
  ) => html`<p>Key generation ${view.generation}. A rotation publishes a new generation now and signs with it after 15 minutes, once resource servers have had time to fetch it; tokens signed before keep verifying until they expire. Every replica picks the new keys up within seconds.</p>
<table><thead><tr><th scope="col">Key id</th><th scope="col">Algorithm</th><th scope="col">Status</th></tr></thead>
<tbody>${view.keys.map((k) => html`<tr><td><code>${k.kid}</code></td><td>${k.alg}</td><td>${k.status}</td></tr>`)}</tbody></table>
${actionButton(view.rotateAction, view.csrf, 'Rotate the signing keys')}`,
);
