import { McpServer, type CallToolResult, type ServerContext, type StandardSchemaWithJSON, type ToolAnnotations } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { isScopeToken } from '../resource/scopes.js';
import type { Caller } from '../resource/caller.js';
import type { ScopeDescription } from '../resource/auth-mode.js';
import { callerFromAuthInfo } from './caller.js';

/** What a tool handler receives: the SDK's request context plus the verified caller (undefined over stdio). */
export type ToolContext = ServerContext & { caller: Caller | undefined };

/** A tool may return a full MCP result, or any JSON value, which is sent as structured content with a text copy. */
export type ToolReturn = CallToolResult | Record<string, unknown>;

export interface ToolConfig<Schema extends StandardSchemaWithJSON = StandardSchemaWithJSON> {
  title?: string;
  description?: string;
  /** The scopes a caller's token must grant (after the scope hierarchy) to call this tool. */
  scopes?: string[];
  /** What each scope lets an app do, in words a person approves on the consent page. */
  scopeDescriptions?: Record<string, ScopeDescription>;
  inputSchema?: Schema;
  outputSchema?: StandardSchemaWithJSON;
  annotations?: ToolAnnotations;
}

export interface ToolDefinition {
  name: string;
  config: ToolConfig;
  // biome-ignore lint/suspicious/noExplicitAny: the arguments' type is whatever the tool's inputSchema infers
  handler: (args: any, ctx: ToolContext) => ToolReturn | Promise<ToolReturn>;
}

export interface ServerInfo {
  name: string;
  version: string;
  instructions?: string;
}

export function checkToolDefinition(tool: ToolDefinition): void {
  for (const scope of tool.config.scopes ?? []) {
    if (!isScopeToken(scope)) throw new Error(`tool "${tool.name}": "${scope}" is not a valid OAuth scope`);
  }
}

/** Tools declared without arguments. One schema for all: a schema object is compiled on its first use, so a fresh one per request would be compiled on every call. */
const NO_ARGUMENTS = z.object({});

function toCallToolResult(value: ToolReturn): CallToolResult {
  if (Array.isArray((value as CallToolResult).content)) return value as CallToolResult;
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value as Record<string, unknown> };
}

/**
 * Build one SDK server instance with every tool registered (the SDK asks for a fresh one per HTTP request). Scopes
 * are checked before the SDK sees a request (scope-policy.ts), and tool calls audited around it (serving.ts).
 */
export function buildMcpServer(info: ServerInfo, tools: readonly ToolDefinition[]): McpServer {
  const server = new McpServer(
    { name: info.name, version: info.version },
    { capabilities: { tools: {} }, ...(info.instructions !== undefined && { instructions: info.instructions }) },
  );
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.config.title,
        description: tool.config.description,
        inputSchema: tool.config.inputSchema ?? NO_ARGUMENTS,
        outputSchema: tool.config.outputSchema,
        annotations: tool.config.annotations,
      },
      async (args: unknown, ctx: ServerContext) =>
        toCallToolResult(await tool.handler(args, Object.assign(ctx, { caller: callerFromAuthInfo(ctx.http?.authInfo) }))),
    );
  }
  return server;
}
