import type { IncomingMessage } from 'node:http';
import { JSON_RPC_ERRORS, JsonRpcHttpError } from '../util/http-error.js';

/** What a POST to the MCP endpoint carried. */
export type McpBody =
  | { kind: 'json'; parsed: unknown }
  /** Not JSON (or empty): the MCP handler answers it from this text, with its own error. */
  | { kind: 'text'; text: string }
  | { kind: 'too_large' }
  | { kind: 'unreadable' };

/** The body could not be read (the client went away mid-body): the transport's own parse error. */
export function unreadableMcpBody(): JsonRpcHttpError {
  return new JsonRpcHttpError(400, 'parse_error', JSON_RPC_ERRORS.parseError, 'Parse error: the request body could not be read');
}

/**
 * Read and parse the body of a POST to the MCP endpoint, at most `maxBytes` of it, so the MCP handler can be
 * handed the parsed message instead of reading the body itself. That spares a clone of the request and two web
 * streams per call. Served by @hono/node-server, the body is read straight from the Node request; handed a
 * plain Fetch `Request` (an embedder calling `app.fetch`), from its stream.
 */
export async function readMcpBody(request: Request, incoming: IncomingMessage | undefined, maxBytes: number): Promise<McpBody> {
  let bytes: Buffer | 'too_large';
  try {
    const raw = incoming && (incoming as IncomingMessage & { rawBody?: unknown }).rawBody;
    if (raw instanceof Buffer)
      bytes = raw.length > maxBytes ? 'too_large' : raw; // a body parser read it first (mount.ts)
    // A framework's middleware may have read the Node stream through the web request (a clone): read that instead.
    else bytes = incoming && !incoming.readableDidRead ? await readNode(incoming, maxBytes) : await readWeb(request, maxBytes);
  } catch {
    return { kind: 'unreadable' };
  }
  if (bytes === 'too_large') return { kind: 'too_large' };
  const text = bytes.toString('utf8');
  try {
    return text.length === 0 ? { kind: 'text', text } : { kind: 'json', parsed: JSON.parse(text) };
  } catch {
    return { kind: 'text', text };
  }
}

/**
 * Past the cap, reading stops and what is left is never read: the 413 goes out with `Connection: close`, and
 * Node closes the connection after it rather than drain an unbounded body.
 */
function readNode(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large'> {
  if (incoming.readableDidRead) return Promise.reject(new Error('the body was already read'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        incoming.pause();
        resolve('too_large');
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    const onClose = () => onError(new Error('the client closed the connection before the body ended'));
    incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

async function readWeb(request: Request, maxBytes: number): Promise<Buffer | 'too_large'> {
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return 'too_large';
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks, size);
}
