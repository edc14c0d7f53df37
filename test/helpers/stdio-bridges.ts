import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { isAlive, transcript, type Transcript } from './process.js';

/** The official MCP client, talking over stdio to a bridge process that reaches a remote server. */
export interface StdioBridge {
  client: Client;
  transport: StdioClientTransport;
  /** The bridge's stderr, where it prints what the person must do (open a URL) and how it went. */
  stderr: Transcript;
  /** Resolves when the official client has completed initialize through the bridge. */
  connected: Promise<void>;
}

/** The bridges one test file starts: each connects as it starts, and `closeAll` leaves no bridge process running. */
export class StdioBridges {
  readonly #started: StdioBridge[] = [];

  /** Run `node <args>` as the bridge, with only `env` (and nothing of the test runner's own environment). */
  start(bridge: { args: string[]; env: Record<string, string> }, client: { name: string; options?: ConstructorParameters<typeof Client>[1] }): StdioBridge {
    const transport = new StdioClientTransport({ command: process.execPath, args: bridge.args, env: bridge.env, stderr: 'pipe' });
    const stderr = transcript([transport.stderr as Readable]);
    const mcpClient = new Client({ name: client.name, version: '1' }, client.options);
    const connected = mcpClient.connect(transport);
    // A test that expects the connection to fail awaits it itself; an unobserved failure must not end the run.
    connected.catch(() => {});
    const started = { client: mcpClient, transport, stderr, connected };
    this.#started.push(started);
    return started;
  }

  async closeAll(): Promise<void> {
    for (const { client, transport } of this.#started) {
      const pid = transport.pid;
      await client.close().catch(() => {});
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
}
