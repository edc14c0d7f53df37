import type { FetchLike } from '@modelcontextprotocol/client';
import { defaultConfigDir } from './config-dir.js';
import { LoginTransport } from './login-transport.js';
import { LoopbackRedirect } from './loopback.js';
import { openInBrowser } from './opener.js';
import { type ClientCredentials, ConnectProvider, type EnterpriseGrant } from './provider.js';
import { TokenStore } from './token-store.js';

/** How `gatehouse connect` reaches one MCP server: who it is, where it keeps tokens, how a person signs in. */
export interface SessionOptions {
  /** Where tokens and registrations are kept (default {@link defaultConfigDir}). */
  configDir?: string;
  /** `client_name` when registering (default `gatehouse connect`). */
  clientName?: string;
  /** Scopes to ask for; by default those the server's challenge or metadata name. */
  scope?: string;
  /** Pre-registered client: used first, before a Client ID Metadata Document URL or dynamic registration. */
  clientId?: string;
  clientSecret?: string;
  /** Where this client's metadata document is published (an https URL): its client_id where the server accepts one. */
  clientMetadataUrl?: string;
  /** The issuer given credentials belong to: they are then sent to no other authorization server. */
  issuer?: string;
  /** Use the client_credentials grant: no person, no browser. */
  clientCredentials?: ClientCredentials;
  /** Use enterprise-managed authorization: an ID token from the enterprise IdP instead of a browser sign-in. */
  enterprise?: EnterpriseGrant;
  /** Ask for DPoP-bound tokens (RFC 9449) and prove possession on every request. */
  dpop?: boolean;
  /**
   * How the person gets to the authorization URL, which is always written to the log too: `true` (default) opens
   * the system browser, `false` only prints it, a function is handed the checked http(s) URL.
   */
  openBrowser?: boolean | ((url: URL) => void | Promise<void>);
  /** The program (and leading arguments) that opens a URL; the platform's opener by default. */
  browserCommand?: readonly string[];
  /** Where progress lines go (default stderr: in a bridge stdout is the protocol). */
  log?: (line: string) => void;
  fetch?: FetchLike;
}

export interface AuthorizedTransport {
  transport: LoginTransport;
  close(): Promise<void>;
}

export function logToStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The MCP server URL, checked: only http(s) servers are connected to. */
export function serverUrlOf(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${JSON.stringify(String(url))} is not a URL; give the MCP server's URL, e.g. https://mcp.example.com/mcp`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${parsed.href} is not an http(s) URL`);
  return parsed;
}

/** A transport to `url` that signs in (or uses stored tokens) as `options` say; `close` also stops the loopback listener. */
export async function authorizedTransport(url: string | URL, options: SessionOptions = {}): Promise<AuthorizedTransport> {
  const serverUrl = serverUrlOf(url);
  const log = options.log ?? logToStderr;
  const open = options.openBrowser ?? true;
  const loopback = options.clientCredentials || options.enterprise ? undefined : await LoopbackRedirect.listen();
  const send = async (authorizationUrl: URL): Promise<void> => {
    log(`gatehouse: to authorize access to ${serverUrl.href}, open ${authorizationUrl.href}`);
    if (typeof open === 'function') return open(authorizationUrl);
    if (!open) return;
    try {
      await openInBrowser(authorizationUrl, options.browserCommand);
    } catch (error) {
      log(`gatehouse: ${(error as Error).message}`);
    }
  };
  const provider = new ConnectProvider({
    serverUrl: serverUrl.href,
    store: new TokenStore(options.configDir ?? defaultConfigDir()),
    clientName: options.clientName ?? 'gatehouse connect',
    scope: options.scope,
    issuer: options.issuer,
    preRegistered: options.clientId === undefined ? undefined : { clientId: options.clientId, clientSecret: options.clientSecret },
    clientMetadataUrl: options.clientMetadataUrl,
    clientCredentials: options.clientCredentials,
    enterprise: options.enterprise,
    dpop: options.dpop,
    login: loopback && { loopback, send },
  });
  const base = options.fetch ?? fetch;
  // A token the server stops accepting may mean it moved to another authorization server (SEP-2352): forget what
  // discovery found, so the sign-in that follows asks the server's metadata again.
  const watched: FetchLike = async (input, init) => {
    const response = await base(input, init);
    if (response.status === 401 && new Headers(init?.headers).has('authorization')) provider.invalidateCredentials('discovery');
    return response;
  };
  const transport = new LoginTransport(serverUrl, provider, { fetch: watched });
  return {
    transport,
    close: async () => {
      await transport.close();
      await loopback?.close();
    },
  };
}
