import { PRESETS } from '../clients/presets.js';
import { html, type Html } from '../web/html.js';

const PRESET_NAMES = PRESETS.map((preset) => preset.name).join(', ');

/**
 * How a person connects an app: the MCP URL to give it, and, where this server registers clients itself, the
 * command its operator runs for a client that asks for a client ID instead of registering on its own.
 */
export function connectApp(mcpUrl: string, options: { presets: boolean }): Html {
  return html`<h2>Connect an app</h2>
<p>Add this server to your MCP client as a remote (HTTP) MCP server, at:</p>
<p><code class="url">${mcpUrl}</code></p>
<p class="muted">The client then opens your browser to sign in and asks you to allow it.${
    options.presets
      ? html` A client that asks for a client ID needs one from whoever runs this server: <code>${'gatehouse clients add --preset <client>'}</code> (${PRESET_NAMES}).`
      : ''
  }</p>`;
}
