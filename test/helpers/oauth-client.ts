import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  OAuthClientMetadata,
  OAuthDiscoveryState,
  OAuthClientProvider,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';

/**
 * A real loopback redirect target: the browser lands here with the authorization response, and the test
 * awaits it. It answers with a small page, like a native client's callback listener does.
 */
export class CallbackServer {
  #server?: Server;
  #waiters: Array<(params: URLSearchParams) => void> = [];
  url = '';

  static async start(path = '/callback'): Promise<CallbackServer> {
    const callback = new CallbackServer();
    callback.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      res.setHeader('content-type', 'text/plain');
      res.end('You can close this window.');
      if (url.pathname === path) callback.#waiters.shift()?.(url.searchParams);
    });
    await new Promise<void>((resolve) => callback.#server!.listen(0, '127.0.0.1', resolve));
    callback.url = `http://localhost:${(callback.#server!.address() as AddressInfo).port}${path}`;
    return callback;
  }

  /** The next authorization response; fails after `timeoutMs` so a flow that went wrong cannot hang a test. */
  next(timeoutMs = 30_000): Promise<URLSearchParams> {
    return new Promise((resolve, reject) => {
      const waiter = (params: URLSearchParams) => {
        clearTimeout(timer);
        resolve(params);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`no authorization response reached ${this.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/**
 * `fetch` with a time limit, for the official client in tests: a request nobody answers fails after `ms`
 * naming its URL, instead of waiting out undici's five-minute default and the whole test file with it.
 */
export function fetchWithin(ms = 30_000): typeof fetch {
  return async (input, init) => {
    const limit = AbortSignal.timeout(ms);
    try {
      return await fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, limit]) : limit });
    } catch (error) {
      if (!limit.aborted) throw error;
      throw new Error(`no answer from ${String(input instanceof Request ? input.url : input)} within ${ms} ms`, { cause: error });
    }
  };
}

/** The official client's OAuth hooks, kept in memory, with the authorization URL handed to the test (which plays the browser). */
export class TestOAuthProvider implements OAuthClientProvider {
  clientInfo?: StoredOAuthClientInformation;
  storedTokens?: StoredOAuthTokens;
  verifier = '';
  authorizationUrl?: URL;

  constructor(
    readonly redirectUrl: string,
    readonly options: { clientId?: string; clientMetadataUrl?: string; name?: string } = {},
  ) {
    if (options.clientId) this.clientInfo = { client_id: options.clientId };
  }

  get clientMetadataUrl(): string | undefined {
    return this.options.clientMetadataUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.name ?? 'Gatehouse test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    } as OAuthClientMetadata;
  }

  clientInformation() {
    return this.clientInfo;
  }
  saveClientInformation(info: StoredOAuthClientInformation) {
    this.clientInfo = info;
  }
  tokens() {
    return this.storedTokens;
  }
  saveTokens(tokens: StoredOAuthTokens) {
    this.storedTokens = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  discovery?: OAuthDiscoveryState;
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
}
