import type { Readable, Writable } from 'node:stream';
import { type JSONRPCMessage, isInitializeRequest, isJSONRPCRequest, isJSONRPCResultResponse, type RequestId } from '@modelcontextprotocol/client';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { authorizedTransport, logToStderr, type SessionOptions } from './session.js';

export interface BridgeOptions extends SessionOptions {
  /** The local client's side (default this process's stdin and stdout). */
  stdin?: Readable;
  stdout?: Writable;
}

/** JSON-RPC's "internal error": the bridge could not deliver a request to the server. */
const INTERNAL_ERROR = -32603;

/**
 * A stdio MCP server for a local client without OAuth, forwarding every message as is to the remote MCP server over
 * Streamable HTTP, with the sign-in and tokens added on the way; replies, notifications and the server's own
 * requests come back the same way. Messages pass untouched, so the two ends negotiate the protocol between
 * themselves. Resolves when the local client closes stdin.
 */
export async function bridge(url: string | URL, options: BridgeOptions = {}): Promise<void> {
  const log = options.log ?? logToStderr;
  const { transport: remote, close } = await authorizedTransport(url, options);
  const local = new StdioServerTransport(options.stdin, options.stdout);
  const initializeIds = new Set<RequestId>();

  const deliver = (message: JSONRPCMessage): void => {
    local.send(message).catch((error: Error) => log(`gatehouse: could not write to the local client: ${error.message}`));
  };

  local.onmessage = (message) => {
    if (isJSONRPCRequest(message) && isInitializeRequest(message)) initializeIds.add(message.id);
    remote.send(message).catch((error: Error) => {
      log(`gatehouse: ${error.message}`);
      if (isJSONRPCRequest(message)) {
        deliver({ jsonrpc: '2.0', id: message.id, error: { code: INTERNAL_ERROR, message: `gatehouse connect: ${error.message}` } });
      }
    });
  };
  remote.onmessage = (message) => {
    // A 2025-era session states its version in a header on every later request: the transport learns it here,
    // as the SDK's Client would tell it.
    if (isJSONRPCResultResponse(message) && initializeIds.delete(message.id)) {
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'string') remote.setProtocolVersion(version);
    }
    deliver(message);
  };
  remote.onerror = (error) => log(`gatehouse: ${error.message}`);
  local.onerror = (error) => log(`gatehouse: ${error.message}`);

  const closed = new Promise<void>((resolve) => {
    local.onclose = resolve;
  });
  await remote.start();
  await local.start();
  log(`gatehouse: bridging stdio to ${new URL(url).href}`);
  await closed;
  await close();
}
