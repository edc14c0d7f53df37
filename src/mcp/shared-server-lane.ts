import {
  type AuthInfo,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type MessageExtraInfo,
  type Server,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import { requestReceiver } from './sdk-internals.js';

/**
 * Methods whose answer depends on the request alone: nothing a client sends with them is kept for a later request.
 * `initialize`, `logging/setLevel` and subscriptions are not here: they are per-connection state, which stateless
 * serving gives each request afresh.
 */
const STATELESS_METHODS = new Set([
  'tools/call',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'ping',
]);

/** The protocol revisions of the 2025 era, served statelessly by the SDK's handler (a `_meta` envelope marks 2026). */
const LEGACY_VERSION = /^2025-\d\d-\d\d$/;
const ENVELOPE_KEY = 'io.modelcontextprotocol/protocolVersion';

interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: string | number;
  method: string;
  params?: Record<string, unknown>;
}

/** One HTTP exchange in flight: its client's request id, and where its answer goes. */
interface Exchange {
  clientId: string | number;
  /** Answer with one JSON response (nothing was sent before the result). */
  respond(response: Response): void;
  /** Once a notification comes before the result, the answer is an SSE stream. */
  stream?: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();
const sseEvent = (message: unknown) => encoder.encode(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
const SSE_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' };

/**
 * The SDK server behind stateless 2025-era requests, built once and connected once. The SDK's stateless handler
 * builds, connects and tears down a server and a transport for every request; for requests that keep no state
 * between them, one connected server answers them all: each request is handed to it with a connection-unique id
 * (clients' ids collide), and its messages are routed back to the exchange by that id. The SDK still parses,
 * validates, dispatches and encodes every message; this only carries them. Everything else — 2026-07-28 requests
 * (their `_meta` envelope seeds per-request state), `initialize`, batches, notifications, GET and DELETE — goes
 * to the SDK's handler as before.
 */
export class SharedServerLane implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  readonly #exchanges = new Map<string, Exchange>();
  readonly #receive: (request: JSONRPCRequest, extra?: MessageExtraInfo) => void;
  #next = 0;

  private constructor(receive: (request: JSONRPCRequest, extra?: MessageExtraInfo) => void) {
    this.#receive = receive;
  }

  /** Connect `server` (built once, readied for any caller) to a lane of its own. */
  static async open(server: Server): Promise<SharedServerLane> {
    const lane = new SharedServerLane(requestReceiver(server));
    await server.connect(lane);
    return lane;
  }

  /**
   * Whether the lane answers this POST: one JSON-RPC request of a stateless method, shaped for a 2025 revision
   * (by header and by body), from a client that accepts both answers the transport may give.
   */
  accepts(request: Request, body: unknown): body is JsonRpcRequest {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const message = body as Partial<JsonRpcRequest>;
    if (message.jsonrpc !== '2.0' || typeof message.method !== 'string' || !STATELESS_METHODS.has(message.method)) return false;
    if (typeof message.id !== 'string' && typeof message.id !== 'number') return false;
    if (message.params !== undefined && (typeof message.params !== 'object' || message.params === null)) return false;
    const meta = message.params?.['_meta'];
    if (typeof meta === 'object' && meta !== null && ENVELOPE_KEY in meta) return false;
    const version = request.headers.get('mcp-protocol-version');
    if (version !== null && !LEGACY_VERSION.test(version)) return false;
    const accept = request.headers.get('accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
    // A request the SDK's request schema refuses (a `_meta` that is not an object, say) goes to the SDK's own
    // handler, which answers it with an error; the server's dispatch would drop it and the request would hang.
    return isJSONRPCRequest(body);
  }

  /** Hand the request to the server and answer with what it sends back for it. */
  serve(request: Request, body: JsonRpcRequest, authInfo: AuthInfo | undefined): Promise<Response> {
    const id = `lane-${++this.#next}`;
    return new Promise<Response>((respond) => {
      this.#exchanges.set(id, { clientId: body.id, respond });
      const abandon = () => this.#cancel(id);
      request.signal.addEventListener('abort', abandon, { once: true });
      // What the server's own dispatch would do with a request (`accepts` checked it is one), without first
      // parsing it as a response (see requestReceiver).
      this.#receive({ ...body, id } as JSONRPCRequest, { request, ...(authInfo && { authInfo }) });
    });
  }

  /** The client went away: the handler's signal aborts, and nothing more is sent. */
  #cancel(id: string): void {
    const exchange = this.#exchanges.get(id);
    if (!exchange) return;
    this.#exchanges.delete(id);
    this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'the client disconnected' } });
    try {
      exchange.stream?.close();
    } catch {}
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const outgoing = message as { id?: string | number; method?: string; result?: unknown; error?: unknown };
    const isResponse = outgoing.method === undefined && outgoing.id !== undefined;
    const related = isResponse ? String(outgoing.id) : options?.relatedRequestId === undefined ? undefined : String(options.relatedRequestId);
    const exchange = related === undefined ? undefined : this.#exchanges.get(related);
    if (!exchange) return; // a broadcast (list changed) or an exchange already over: stateless serving has no one to tell
    if (!isResponse && outgoing.id !== undefined) {
      // A request to the client (sampling, elicitation): its answer would come in another POST, which 2025
      // stateless serving cannot route back. Refused at once, as the SDK's per-request serving does.
      this.onmessage?.({
        jsonrpc: '2.0',
        id: outgoing.id,
        error: { code: -32601, message: 'Stateless serving cannot receive answers to server-to-client requests' },
      } as JSONRPCMessage);
      return;
    }
    const toClient = isResponse ? { ...outgoing, id: exchange.clientId } : outgoing;
    if (isResponse) this.#exchanges.delete(related!);
    if (exchange.stream) {
      exchange.stream.enqueue(sseEvent(toClient));
      if (isResponse) exchange.stream.close();
      return;
    }
    if (isResponse) {
      exchange.respond(new Response(JSON.stringify(toClient), { status: 200, headers: { 'Content-Type': 'application/json' } }));
      return;
    }
    // A notification before the result (progress, a log message): the answer becomes an event stream.
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        exchange.stream = controller;
        controller.enqueue(sseEvent(toClient));
      },
      cancel: () => this.#cancel(related!),
    });
    exchange.respond(new Response(stream, { status: 200, headers: SSE_HEADERS }));
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {
    for (const id of [...this.#exchanges.keys()]) this.#cancel(id);
    this.onclose?.();
  }
}
