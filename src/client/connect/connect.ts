import { Client, type ClientCapabilities, type ClientOptions, type Implementation } from '@modelcontextprotocol/client';
import { authorizedTransport, type SessionOptions } from './session.js';

export interface ConnectOptions extends SessionOptions {
  /** How this client names itself to the MCP server. */
  clientInfo?: Implementation;
  /** What this client offers the server (sampling, elicitation, roots); register the handlers on `client` after connecting. */
  capabilities?: ClientCapabilities;
  /** Which protocol era to speak; by default whichever the server supports, newest first. */
  versionNegotiation?: ClientOptions['versionNegotiation'];
}

/** How long connecting may take when a person has to sign in first: the SDK's default request timeout is a minute. */
const SIGN_IN_TIMEOUT_MS = 10 * 60_000;

/** A connected, authorized MCP client. */
export interface Connection {
  client: Client;
  close(): Promise<void>;
}

/**
 * Connect the official MCP client to a protected MCP server, signing in as needed: stored tokens first, then a
 * refresh, then a browser sign-in (or client credentials). `gatehouse connect --list/--call/--read` is this.
 */
export async function connect(url: string | URL, options: ConnectOptions = {}): Promise<Connection> {
  const { transport, close } = await authorizedTransport(url, options);
  const client = new Client(options.clientInfo ?? { name: 'gatehouse-connect', version: '1.0.0' }, {
    capabilities: options.capabilities,
    versionNegotiation: options.versionNegotiation ?? { mode: 'auto' },
  });
  try {
    await client.connect(transport, { timeout: SIGN_IN_TIMEOUT_MS });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    client,
    close: async () => {
      await client.close();
      await close();
    },
  };
}
