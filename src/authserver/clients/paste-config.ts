import { findPreset } from './presets.js';
import { publicUrlWarning } from './public-url.js';
import type { ClientRecord } from './registry.js';

/**
 * What an operator is shown once a client is registered: its id, its secret (this one time), and for a preset the
 * block to paste into that app, with a warning when the app cannot reach the MCP URL. The CLI prints it, the
 * admin console shows it: one wording.
 */
export function registrationText(record: ClientRecord, mcpUrl: string): { text: string; warning?: string } {
  let text = `Registered ${record.client_name}\n  client_id:     ${record.client_id}\n`;
  if (record.client_secret) text += `  client_secret: ${record.client_secret}\n  (shown once: store it now)\n`;
  else if (record.token_endpoint_auth_method === 'private_key_jwt')
    text += `  authenticates: private_key_jwt, with the keys ${record.jwks_uri ? `at ${record.jwks_uri}` : 'given'}\n`;
  const preset = record.gatehouse_preset ? findPreset(record.gatehouse_preset) : undefined;
  if (preset) text += `\n${preset.configLocation}:\n\n${preset.configSnippet(mcpUrl, record.client_id, record.client_secret)}\n`;
  const warning = preset && publicUrlWarning(preset, mcpUrl);
  return { text, ...(warning && { warning }) };
}
