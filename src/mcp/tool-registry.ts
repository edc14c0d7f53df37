import type { McpServerFactory } from '@modelcontextprotocol/server';
import { perRequestCopies } from './sdk-internals.js';
import type { ScopeDescription } from '../resource/auth-mode.js';
import type { ScopeMap } from './scope-policy.js';
import { buildMcpServer, checkToolDefinition, type ServerInfo, type ToolDefinition } from './tools.js';

/** The tools a server was given with `server.tool()`, and the scopes and scope descriptions they declare. */
export class ToolRegistry {
  readonly #tools: ToolDefinition[] = [];

  /** Add a tool, refusing invalid scope names and a second tool of the same name. */
  add(definition: ToolDefinition): void {
    checkToolDefinition(definition);
    if (this.#tools.some((t) => t.name === definition.name)) throw new Error(`tool "${definition.name}" is already registered`);
    this.#tools.push(definition);
  }

  get size(): number {
    return this.#tools.length;
  }

  /** Each tool's scopes, for the scope policy. */
  get scopeMap(): ScopeMap {
    return { tools: Object.fromEntries(this.#tools.map((t) => [t.name, t.config.scopes ?? []])) };
  }

  /** What each scope lets an app do, as the tools describe it. */
  get scopeDescriptions(): Record<string, ScopeDescription> {
    return Object.assign({}, ...this.#tools.map((t) => t.config.scopeDescriptions ?? {}));
  }

  /**
   * A fresh SDK server per request, all sharing one server built once from the tools registered so far (later
   * registrations do not reach servers already started): the catalogue, its schemas and their compiled forms are
   * made once, not on every request.
   */
  serverFactory(info: ServerInfo): McpServerFactory {
    return perRequestCopies(buildMcpServer(info, [...this.#tools]));
  }
}
