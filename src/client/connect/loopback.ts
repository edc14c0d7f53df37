import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const CALLBACK_PATH = '/callback';

interface Pending {
  state: string;
  resolve: (params: URLSearchParams) => void;
}

function page(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'",
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  });
  response.end(`<!doctype html><meta charset="utf-8"><title>gatehouse connect</title><p>${text}</p>\n`);
}

function sameState(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The redirect URI of a native app (RFC 8252 §7.3): a listener on 127.0.0.1 with a port the system picks. It
 * answers only the callback of the authorization it is waiting for: a callback whose `state` is not the one
 * sent is refused and the wait goes on, so a page that fires a forged callback at the port neither completes
 * nor spoils the person's login (RFC 6749 §10.12).
 */
export class LoopbackRedirect {
  private pending?: Pending;

  private constructor(
    private readonly server: Server,
    readonly redirectUrl: string,
  ) {}

  static async listen(): Promise<LoopbackRedirect> {
    let self: LoopbackRedirect | undefined;
    const server = createServer((request, response) => self!.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    self = new LoopbackRedirect(server, `http://127.0.0.1:${port}${CALLBACK_PATH}`);
    return self;
  }

  /**
   * Start waiting for one authorization: returns the `state` to send with it and the callback's parameters once
   * the browser comes back with that state (`code` and `iss`, or `error`), for the SDK to check and redeem.
   */
  begin(): { state: string; callback: Promise<URLSearchParams> } {
    const state = randomBytes(24).toString('base64url');
    const callback = new Promise<URLSearchParams>((resolve) => {
      this.pending = { state, resolve };
    });
    return { state, callback };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.redirectUrl);
    if (request.method !== 'GET' || url.pathname !== CALLBACK_PATH) {
      page(response, 404, 'Not found.');
      return;
    }
    const pending = this.pending;
    const state = url.searchParams.get('state');
    if (!pending || state === null || !sameState(state, pending.state)) {
      page(response, 400, 'This sign-in response does not match the sign-in gatehouse started. Nothing was done.');
      return;
    }
    this.pending = undefined;
    pending.resolve(url.searchParams);
    const failed = url.searchParams.has('error');
    page(response, failed ? 400 : 200, failed ? 'Sign-in failed; see the terminal for why.' : 'Signed in. You can close this tab.');
  }
}
