// The MCP server of scenario 5, as a person writes it with the official SDK: the bench's whoami tool, a handful
// of resources and a prompt. Nothing of Gatehouse in it but callerOf(ctx), so the very same factory can be
// served by protect() and by the bare SDK.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { callerOf } from '../../src/index.js';

/** A new server per request, as the SDK's stateless handler asks for. */
export function docsServer(): McpServer {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who am I', inputSchema: z.object({}) }, (_args, ctx) => {
    const caller = callerOf(ctx);
    // The bare SDK has no auth: no caller to report.
    const body = caller ? { authenticated: true, subject: caller.subject, clientId: caller.clientId, scopes: [...caller.scopes] } : { authenticated: false };
    return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
  });
  server.registerTool(
    'search',
    { description: 'Search the docs', inputSchema: z.object({ query: z.string(), limit: z.number().int().optional() }) },
    ({ query }) => ({
      content: [{ type: 'text', text: `no page mentions ${query}` }],
    }),
  );
  for (const page of ['readme', 'changelog', 'license']) {
    server.registerResource(page, `docs://${page}`, { mimeType: 'text/markdown', description: `The ${page} page` }, (uri) => ({
      contents: [{ uri: uri.href, text: `# ${page}` }],
    }));
  }
  server.registerResource('page', new ResourceTemplate('docs://pages/{slug}', { list: undefined }), { mimeType: 'text/markdown' }, (uri, { slug }) => ({
    contents: [{ uri: uri.href, text: `# ${String(slug)}` }],
  }));
  server.registerPrompt('summarize', { description: 'Summarize a page', argsSchema: z.object({ slug: z.string() }) }, ({ slug }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Summarize docs://pages/${slug} in three sentences.` } }],
  }));
  return server;
}
