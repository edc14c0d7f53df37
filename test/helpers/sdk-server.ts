import { McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { callerOf, requires } from '../../src/index.js';

/**
 * An MCP server as a person writes it with the official SDK, with nothing of Gatehouse in it but `requires()` on
 * one tool and `callerOf(ctx)` in the handlers: tools, a public and a private resource, a template, a prompt.
 */
export function notesServer(): McpServer {
  const server = new McpServer({ name: 'Notes', version: '2.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('whoami', { description: 'Who is calling', scopeChallenge: requires('read:whoami') }, (ctx) => ({
    content: [{ type: 'text', text: callerOf(ctx)?.subject ?? 'nobody' }],
  }));
  server.registerTool('add', { inputSchema: z.object({ a: z.number(), b: z.number() }) }, ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  server.registerResource('public-notes', 'notes://public', { mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, text: 'anyone may read this' }],
  }));
  server.registerResource('private-notes', 'notes://private', { mimeType: 'text/plain' }, (uri, ctx) => ({
    contents: [{ uri: uri.href, text: `private notes of ${callerOf(ctx)?.subject}` }],
  }));
  server.registerResource('note', new ResourceTemplate('notes://by-id/{id}', { list: undefined }), { mimeType: 'text/plain' }, (uri, { id }) => ({
    contents: [{ uri: uri.href, text: `note ${String(id)}` }],
  }));
  server.registerPrompt('greet', { argsSchema: z.object({ name: z.string().optional() }) }, ({ name }, ctx) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name ?? callerOf(ctx)?.subject}` } }],
  }));
  return server;
}

/** The scopes of `notesServer()` declared in one map beside it (whoami declares its own next to its registration). */
export const NOTES_SCOPES = {
  resources: { 'notes://private': 'notes:read', 'notes://by-id/{id}': ['notes:read'] },
  prompts: { greet: 'prompts:greet' },
};
