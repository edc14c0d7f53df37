import type { McpServer } from '@modelcontextprotocol/server';
import type { AuditRecorder } from '../audit/audit-log.js';
import type { ScopeInfo } from '../resource/auth-mode.js';
import type { ScopeHierarchy } from '../resource/scopes.js';
import { buildMcpServer, checkToolDefinition, type ServerInfo, type ToolCallObserver, type ToolDefinition } from './tools.js';

export interface ToolRegistryOptions {
  /** Scopes every request needs, on top of each tool's own. */
  requiredScopes?: readonly string[];
  /** Descriptions for endpoint-wide scopes (tools describe their own). */
  scopeDescriptions?: Record<string, string>;
  scopeHierarchy?: ScopeHierarchy;
}

/** The server's tools and the scopes they need: what discovery advertises, consent pages describe, and each MCP session serves. */
export class ToolRegistry {
  readonly #tools: ToolDefinition[] = [];
  readonly #options: ToolRegistryOptions;

  constructor(options: ToolRegistryOptions) {
    this.#options = options;
  }

  /** Add a tool, refusing invalid scope names and a second tool of the same name. */
  add(definition: ToolDefinition): void {
    checkToolDefinition(definition);
    if (this.#tools.some((t) => t.name === definition.name)) throw new Error(`tool "${definition.name}" is already registered`);
    this.#tools.push(definition);
  }

  /** Every scope the server uses, for discovery: endpoint scopes first, then each tool's. */
  get scopesSupported(): string[] {
    return [...new Set([...(this.#options.requiredScopes ?? []), ...this.#tools.flatMap((t) => t.config.scopes ?? [])])];
  }

  /** Every scope with its description (from the tools), for consent pages. */
  get scopeInfo(): ScopeInfo[] {
    const descriptions = Object.assign({}, this.#options.scopeDescriptions, ...this.#tools.map((t) => t.config.scopeDescriptions ?? {}));
    return this.scopesSupported.map((name) => ({ name, description: descriptions[name] ?? name }));
  }

  /**
   * Builds one SDK server per MCP session from the tools registered so far (later registrations do not reach
   * servers already started), recording each tool call in the audit trail.
   */
  serverFactory(info: ServerInfo, audit: AuditRecorder): () => McpServer {
    const tools = [...this.#tools];
    const policy = { requiredScopes: this.#options.requiredScopes ?? [], hierarchy: this.#options.scopeHierarchy ?? {} };
    const onToolCall: ToolCallObserver = ({ tool, caller, outcome, durationMs }) =>
      void audit.record({ type: 'tool.called', tool, subject: caller?.subject, clientId: caller?.clientId, outcome, durationMs });
    return () => buildMcpServer(info, tools, policy, onToolCall);
  }
}
