// The servers of the catalogue scenario, started inside bench/catalogue-host.ts: Gatehouse from a given source
// tree (the baseline commit's or this one's) with whoami and size − 1 catalogue tools, the bare SDK with the same
// tools and no auth, and node:http sending the bare SDK's own tools/list answer.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { HttpRequestSpec, HttpTarget } from '../common.js';
import { catalogueTools } from './catalogue-tools.js';
import { serveFixedAnswer } from './ceiling.js';
import { listenOnLoopback } from './loopback-http.js';
import { checkWhoami, mcpRequests, whoamiRequests } from './whoami.js';

/** `tools/list`, sent like the whoami call. */
export const LIST_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

/** A tool as both versions of Gatehouse take it in addTool(). */
interface ToolDefinition {
  name: string;
  config: { description?: string; scopes?: string[]; inputSchema?: unknown };
  handler: (args: Record<string, unknown>) => unknown;
}

/**
 * What the catalogue host uses of a Gatehouse source tree, typed here rather than imported, so that the same
 * code builds the server from the baseline commit and from this tree whatever else their exports differ in.
 */
interface GatehouseLibrary {
  gatehouse(options: Record<string, unknown>): {
    addTool(tool: ToolDefinition): unknown;
    listen(port: number, host: string): Promise<{ port: number; urls: { resource: string }; close(): Promise<void> }>;
  };
  resource(options: { authorizationServers: string; verifier: unknown }): unknown;
  jwt(options: { issuer: string; jwksUri: string }): unknown;
  createLogger(options: { level: string; destination: string }): unknown;
  whoamiTool: ToolDefinition;
}

export interface GatehouseCatalogueOptions {
  name: string;
  /** The source tree whose src/index.ts is imported: the baseline checkout or this one. */
  sourceRoot: string;
  size: number;
  issuer: { url: string; jwksUri: string };
  port: number;
  tokens: string[];
}

/**
 * Gatehouse from `sourceRoot`/src with whoami and size − 1 catalogue tools, verifying JWTs from the issuer on
 * `port`, set up as the Gatehouse JWT target of the endpoint scenarios is (gatehouse-target.ts): tool-call limit
 * off, logs at warn, 127.0.0.1 allowed as a host.
 */
export async function startGatehouseCatalogue(options: GatehouseCatalogueOptions): Promise<HttpTarget> {
  const lib = (await import(pathToFileURL(join(options.sourceRoot, 'src', 'index.ts')).href)) as GatehouseLibrary;
  const server = lib.gatehouse({
    name: 'bench',
    auth: lib.resource({ authorizationServers: options.issuer.url, verifier: lib.jwt({ issuer: options.issuer.url, jwksUri: options.issuer.jwksUri }) }),
    logger: lib.createLogger({ level: 'warn', destination: 'stderr' }),
    allowedHosts: ['127.0.0.1'],
    // The load comes to 127.0.0.1; today's servers are a resource of their own under each loopback name.
    publicUrl: `http://127.0.0.1:${options.port}`,
    limits: { toolCallsPerMinute: 0 },
  });
  server.addTool(lib.whoamiTool);
  for (const tool of catalogueTools(options.size - 1)) {
    server.addTool({ name: tool.name, config: { description: tool.description, scopes: [tool.scope], inputSchema: tool.inputSchema }, handler: tool.handler });
  }
  const running = await server.listen(options.port, '127.0.0.1');
  const target: HttpTarget = {
    name: options.name,
    url: `http://127.0.0.1:${running.port}`,
    requests: whoamiRequests(new URL(running.urls.resource).pathname, options.tokens),
    close: () => running.close(),
  };
  await checkCatalogue(target, /user-0/, options.size);
  return target;
}

/** A new SDK server per request with the same tools; whoami has no caller to report without auth. */
function sdkCatalogueServer(size: number): () => McpServer {
  const tools = catalogueTools(size - 1);
  const whoamiInput = z.object({});
  return () => {
    const server = new McpServer({ name: 'bench', version: '1.0.0' });
    server.registerTool('whoami', { description: 'Who am I', inputSchema: whoamiInput }, () => {
      const body = { authenticated: false };
      return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
    });
    for (const tool of tools) {
      server.registerTool(tool.name, { description: tool.description, inputSchema: tool.inputSchema }, (args) => {
        const body = tool.handler(args);
        return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
      });
    }
    return server;
  };
}

/** The bare SDK serving those tools without auth: createMcpHandler + toNodeHandler on node:http. */
export async function startSdkCatalogue(name: string, size: number): Promise<HttpTarget> {
  const mcp = createMcpHandler(sdkCatalogueServer(size));
  const handler = toNodeHandler(mcp);
  const http = await listenOnLoopback((req, res) => void handler(req, res));
  const target: HttpTarget = {
    name,
    url: http.url,
    requests: whoamiRequests('/mcp', [undefined]),
    close: async () => {
      await http.close();
      await mcp.close();
    },
  };
  await checkCatalogue(target, /"authenticated\\?":false/, size);
  return target;
}

/**
 * The ceiling for tools/list: node:http sending, for every request, the very bytes (and content type) the bare
 * SDK answers tools/list with for this many tools — asked once at start, in this process.
 */
export async function startListCeiling(name: string, size: number): Promise<HttpTarget> {
  const mcp = createMcpHandler(sdkCatalogueServer(size));
  const [spec] = mcpRequests('/mcp', [undefined], LIST_BODY);
  const answer = await mcp.fetch(new Request('http://127.0.0.1/mcp', { method: 'POST', headers: spec!.headers, body: spec!.body }));
  const body = await answer.text();
  await mcp.close();
  if (answer.status !== 200) throw new Error(`the bare SDK answered tools/list with ${answer.status}: ${body.slice(0, 300)}`);
  const target = await serveFixedAnswer(name, body, answer.headers.get('content-type') ?? 'application/json');
  if ((await listedTools(target.url, listRequest(target.requests[0]!))) !== size) throw new Error(`${name}: not a list of ${size} tools`);
  return target;
}

/** The same request with the tools/list body in place of the whoami call. */
export const listRequest = (whoami: HttpRequestSpec): HttpRequestSpec => ({ ...whoami, body: LIST_BODY });

/** A target answers whoami as expected and lists exactly `size` tools; else it is not the server meant. */
async function checkCatalogue(target: HttpTarget, whoami: RegExp, size: number): Promise<void> {
  await checkWhoami(target.url, target.requests[0]!, whoami);
  const listed = await listedTools(target.url, listRequest(target.requests[0]!));
  if (listed !== size) throw new Error(`${target.name}: lists ${listed} tools, not ${size}`);
}

/** How many tools a tools/list answer names; the answer may come as JSON or as one SSE message. */
export async function listedTools(url: string, request: HttpRequestSpec): Promise<number> {
  const response = await fetch(new URL(request.path, url), { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url}: tools/list answered ${response.status} ${text.slice(0, 300)}`);
  const json = text.trimStart().startsWith('{')
    ? text
    : text
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5))
        .join('');
  const tools = (JSON.parse(json) as { result?: { tools?: unknown[] } }).result?.tools;
  if (!Array.isArray(tools)) throw new Error(`${url}: tools/list answered no list: ${text.slice(0, 300)}`);
  return tools.length;
}
