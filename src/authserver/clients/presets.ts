/**
 * Presets for the MCP clients people use: the redirect URIs each one registers, how it authenticates at
 * the token endpoint, and the configuration block a user pastes into it to use a pre-registered client.
 *
 * `redirectUris` are allowlist patterns (see redirect-policy.ts): exact URIs, loopback URIs with a `:*`
 * port where the client picks its port at run time, or a trailing `/*` segment where the client mints a
 * callback id per connection (ChatGPT).
 */

/** OIDC Dynamic Registration §2 `application_type`; declared with the presets, which redirect-policy.ts builds on. */
export type ApplicationType = 'web' | 'native';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

export interface ClientPreset {
  /** Stable id, e.g. `claude-code`. */
  name: string;
  displayName: string;
  /** Other names people know it by: a registration calling itself one of these must come from its redirect URIs. */
  otherNames?: readonly string[];
  redirectUris: readonly string[];
  applicationType: ApplicationType;
  /** `none` for public clients (PKCE only); a secret method for server-side clients that keep one. */
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Where the snippet goes. */
  configLocation: string;
  /**
   * Where the client connects from: `cloud` clients (claude.ai, ChatGPT) reach the server from their vendor's
   * servers, so it must be on a public https URL; `local` ones run on the person's machine.
   */
  connectsFrom: 'cloud' | 'local';
  /** The block to paste into the client for this MCP server and pre-registered client id. */
  configSnippet(mcpUrl: string, clientId: string, clientSecret?: string): string;
}

/** A config key for the server from its URL: `https://mcp.example.com/mcp` → `mcp-example-com`. */
export function serverName(mcpUrl: string): string {
  let host = 'mcp';
  try {
    host = new URL(mcpUrl).hostname;
  } catch {
    // Not a URL: fall back to a fixed name rather than fail while printing help.
  }
  return (
    host
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .toLowerCase() || 'mcp'
  );
}

/** POSIX shell quoting: bare when harmless, else single quotes with `'` escaped. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);
const SECRET_PLACEHOLDER = '<client secret printed when the client was created>';

export const PRESETS: readonly ClientPreset[] = [
  {
    // claude.ai, Claude Desktop and the mobile apps share one backend, which is the OAuth client: it keeps
    // a secret and sends it with client_secret_post. claude.com is the newer host for the same callback.
    name: 'claude',
    displayName: 'Claude (claude.ai and Claude Desktop)',
    otherNames: ['Claude', 'Claude Desktop', 'claude.ai', 'Anthropic'],
    redirectUris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
    applicationType: 'web',
    tokenEndpointAuthMethod: 'client_secret_post',
    configLocation: 'Claude → Settings → Connectors → Add custom connector',
    connectsFrom: 'cloud',
    configSnippet: (mcpUrl, clientId, clientSecret) =>
      [
        `Name: ${serverName(mcpUrl)}`,
        `Remote MCP server URL: ${mcpUrl}`,
        'Advanced settings:',
        `  OAuth Client ID: ${clientId}`,
        `  OAuth Client Secret: ${clientSecret ?? SECRET_PLACEHOLDER}`,
      ].join('\n'),
  },
  {
    // The CLI listens on http://localhost:<port>/callback, port chosen at run time unless --callback-port.
    name: 'claude-code',
    displayName: 'Claude Code',
    redirectUris: ['http://localhost:*/callback', 'http://127.0.0.1:*/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'none',
    configLocation: 'your shell',
    connectsFrom: 'local',
    configSnippet: (mcpUrl, clientId) =>
      `claude mcp add --transport http --client-id ${shellQuote(clientId)} ${shellQuote(serverName(mcpUrl))} ${shellQuote(mcpUrl)}`,
  },
  {
    // A per-connector callback id (/connector/oauth/<id>), the stable callback ChatGPT uses with authorization
    // servers that send `iss` (RFC 9207, as this one does), and the one of OpenAI's app review. ChatGPT works as a
    // public client when the secret is left blank; its secret method varies, so we do not pick one.
    name: 'chatgpt',
    displayName: 'ChatGPT',
    otherNames: ['OpenAI'],
    redirectUris: [
      'https://chatgpt.com/connector_platform_oauth_redirect',
      'https://chatgpt.com/connector/oauth/*',
      'https://platform.openai.com/apps-manage/oauth',
    ],
    applicationType: 'web',
    tokenEndpointAuthMethod: 'none',
    configLocation:
      'ChatGPT → Settings → Security and login → Developer mode (on); then Plugins in the sidebar → + (some workspaces: Settings → Apps → Create app)',
    connectsFrom: 'cloud',
    configSnippet: (mcpUrl, clientId) =>
      [
        `Name: ${serverName(mcpUrl)}`,
        'Connection: Server URL',
        `Server URL: ${mcpUrl}`,
        'Authentication: OAuth',
        'Advanced OAuth settings:',
        `  Client ID: ${clientId}`,
        '  Client Secret: (leave empty)',
        'Tick "I understand and want to continue", then Create.',
      ].join('\n'),
  },
  {
    // Cursor registers its app scheme, its hosted agents' callback and a fixed loopback port together.
    name: 'cursor',
    displayName: 'Cursor',
    redirectUris: ['cursor://anysphere.cursor-mcp/oauth/callback', 'https://www.cursor.com/agents/mcp/oauth/callback', 'http://localhost:8787/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'none',
    configLocation: '.cursor/mcp.json (this project) or ~/.cursor/mcp.json (every project)',
    connectsFrom: 'local',
    configSnippet: (mcpUrl, clientId) => json({ mcpServers: { [serverName(mcpUrl)]: { url: mcpUrl, auth: { CLIENT_ID: clientId } } } }),
  },
  {
    // VS Code tries port 33418 first and falls back to a random one; vscode.dev relays for web and remote.
    name: 'vscode',
    displayName: 'VS Code',
    otherNames: ['Visual Studio Code'],
    redirectUris: ['http://127.0.0.1:*/', 'https://vscode.dev/redirect', 'https://insiders.vscode.dev/redirect'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'none',
    configLocation: '.vscode/mcp.json (this workspace) or your user mcp.json',
    connectsFrom: 'local',
    configSnippet: (mcpUrl, clientId) => json({ servers: { [serverName(mcpUrl)]: { type: 'http', url: mcpUrl, oauth: { clientId } } } }),
  },
  {
    // The Inspector is a page on port 6274 (CLIENT_PORT changes it): v2 opens it on 127.0.0.1, v1 on localhost,
    // whose debug flow has its own path. Its callback is on the page's own origin.
    name: 'mcp-inspector',
    displayName: 'MCP Inspector',
    redirectUris: ['http://localhost:*/oauth/callback', 'http://127.0.0.1:*/oauth/callback', 'http://localhost:*/oauth/callback/debug'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'none',
    configLocation: "the MCP Inspector (npx @modelcontextprotocol/inspector), in the server's settings",
    connectsFrom: 'local',
    configSnippet: (mcpUrl, clientId) =>
      [
        'Transport: Streamable HTTP',
        `URL: ${mcpUrl}`,
        'OAuth Settings (v1: Authentication → OAuth 2.0 Flow):',
        `  Client ID: ${clientId}`,
        '  Client Secret: (leave empty)',
        'Then press Connect.',
      ].join('\n'),
  },
  {
    // A stdio bridge for clients without remote OAuth. Callback http://localhost:<port>/oauth/callback;
    // the port argument pins it (--static-oauth-client-info pins it too), --host 127.0.0.1 changes the host.
    name: 'mcp-remote',
    displayName: 'mcp-remote',
    redirectUris: ['http://localhost:*/oauth/callback', 'http://127.0.0.1:*/oauth/callback'],
    applicationType: 'native',
    tokenEndpointAuthMethod: 'none',
    configLocation: 'the command (or command + args) of a stdio server in your client',
    connectsFrom: 'local',
    configSnippet: (mcpUrl, clientId) =>
      `npx mcp-remote ${shellQuote(mcpUrl)} 3334 --static-oauth-client-info ${shellQuote(JSON.stringify({ client_id: clientId }))}`,
  },
];

export function findPreset(name: string): ClientPreset | undefined {
  return PRESETS.find((preset) => preset.name === name);
}

export function presetNames(): string[] {
  return PRESETS.map((preset) => preset.name);
}
