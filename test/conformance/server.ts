/**
 * A server with everything the official MCP conformance suite's server scenarios exercise, for both protocol eras
 * (2025-11-25 initialize handshake, 2026-07-28 per-request envelope). Run it with
 * `PORT=3000 npx tsx test/conformance/server.ts` and point `conformance server --url http://localhost:3000/mcp` at it.
 */
import { pathToFileURL } from 'node:url';
import { McpServer, type McpRequestContext } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { dangerouslyNoAuth, protect, type RunningServer } from '../../src/index.js';
import { registerClientInputTools } from './client-input-tools.js';
import { registerContentTools } from './content-tools.js';
import { registerInputRequiredTools } from './input-required-tools.js';
import { listChanges, registerListChangeTools } from './list-changes.js';
import { registerPrompts } from './prompts.js';
import { requestStates } from './request-state.js';
import { registerResources } from './resources.js';
import { registerSchemaTools } from './schema-tools.js';

/** A fresh conformance server, one per request: the same definition serves both eras. */
export function createConformanceServer(_ctx?: McpRequestContext): McpServer {
  const server = new McpServer(
    { name: 'gatehouse-conformance', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        completions: {},
        logging: {},
      },
      requestState: { verify: requestStates.verify },
    },
  );
  registerContentTools(server);
  registerClientInputTools(server);
  registerInputRequiredTools(server);
  registerListChangeTools(server);
  registerSchemaTools(server);
  registerResources(server);
  registerPrompts(server);
  return server;
}

/** What serving the factory gives back: the shape of Gatehouse's own running server, so either can be used. */
export interface ConformanceServing {
  urls: { resource: string };
  port: number;
  close(): Promise<void>;
}

/**
 * Serve the factory at `/mcp` on loopback, wrapped by Gatehouse with no authentication (the suite connects without
 * credentials) and its Host and Origin checks on. Port 0 picks one.
 */
export function serve(port: number, form: 'factory' | 'instance' = 'factory', logger = pino({ level: 'silent' })): Promise<RunningServer> {
  // A factory is called for every request; one instance is built once, and its stateless 2025 requests are
  // answered by one connected copy of it (the shared lane), the rest by a fresh copy per request.
  const server = form === 'factory' ? createConformanceServer : createConformanceServer();
  return protect(server, { auth: dangerouslyNoAuth(), name: 'conformance', eventBus: listChanges, logger }).listen(port);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await serve(Number(process.env['PORT'] ?? 3000));
  console.log(`Conformance server listening at ${running.urls.resource}`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
