import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import type { Browser } from 'playwright-core';
import type { ServerUrls } from '../../src/resource/urls.js';
import { signInAndAllow } from './browser.js';
import type { CallbackServer, TestOAuthProvider } from './oauth-client.js';

export interface BrowserConnection {
  /** The server: its issuer must be the response's `iss` (RFC 9207). */
  server: { urls: ServerUrls };
  /** The MCP URL the client connects to: the server's resource unless given (a server may answer under several names). */
  mcpUrl?: string;
  browser: Browser;
  provider: TestOAuthProvider;
  callback: CallbackServer;
  person: { email: string; password: string };
  /** Name the sign-in and consent screenshots with this, when given. */
  screenshots?: string;
}

/**
 * The official MCP client's first connection, as a person makes it: the client is refused and sent to authorize,
 * Chromium signs in and allows, the client redeems the code and calls whoami as that person; what whoami answered.
 */
export async function connectThroughBrowser(connection: BrowserConnection): Promise<Record<string, unknown>> {
  const { server, browser, provider, callback } = connection;
  const mcpUrl = connection.mcpUrl ?? server.urls.resource;
  const first = new Client({ name: 'e2e', version: '1' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await assert.rejects(first.connect(transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, 'the client was sent to authorize');
  const page = await browser.newPage();
  const redirected = callback.next();
  await signInAndAllow(page, provider.authorizationUrl.href, connection.person, { screenshots: connection.screenshots });
  const params = await redirected;
  await page.close();
  assert.equal(params.get('iss'), server.urls.issuer, 'RFC 9207 iss on the authorization response');
  await transport.finishAuth(params);

  const client = new Client({ name: 'e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider }));
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  await client.close();
  return result.structuredContent as Record<string, unknown>;
}
