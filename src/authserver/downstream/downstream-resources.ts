import { OperatorError } from '../../util/operator-error.js';
import { isHttpsOrLoopback } from '../../resource/urls.js';
import { isScopeToken } from '../../resource/scopes.js';
import type { Store } from '../../store/contract/store.js';
import type { ClientRecord, ClientRegistry } from '../clients/registry.js';

/** An API the operator registered (`gatehouse resources add`): tools may get tokens for it on their callers' behalf. */
export interface DownstreamResource {
  /** The resource identifier: the `aud` of its tokens, as the API checks it. */
  url: string;
  name: string;
  /** The most its tokens may carry; each exchange is narrowed further to the caller's grant. */
  scopes: string[];
  /** The API's own credentials, with which it may exchange the tokens it receives for tokens to a further API. */
  clientId: string;
  createdAt: number;
}

const RESOURCE = 'DownstreamResource';

/** Downstream resources, kept in the store beside the clients, so every replica sees one registered anywhere. */
export class DownstreamResources {
  constructor(
    private readonly store: Store,
    private readonly clients: ClientRegistry,
    /** The server's own MCP resource identifiers, which are not downstream of anything. */
    private readonly ownResources: readonly string[] = [],
  ) {}

  /** Register an API and make its credentials; resolves the client with its secret in plain text, to show once. */
  async add(request: { url: string; scopes: string[]; name?: string }): Promise<{ resource: DownstreamResource; client: ClientRecord }> {
    const url = checkResourceUrl(request.url);
    if (this.ownResources.includes(url))
      throw new OperatorError(`${url} is this server's own MCP endpoint, not a downstream API; give the URL of the API the tools call`);
    if (request.scopes.length === 0) throw new OperatorError('a downstream resource needs at least one --scope');
    const bad = request.scopes.find((s) => !isScopeToken(s));
    if (bad !== undefined) throw new OperatorError(`--scope "${bad}" is not a valid OAuth scope (printable ASCII, no spaces or quotes)`);
    if (await this.find(url)) throw new OperatorError(`${url} is already registered; \`gatehouse resources remove ${url}\` first to change it`);
    const name = request.name ?? new URL(url).host;
    const client = await this.clients.add({ resourceServer: true, downstreamResource: url, name });
    const resource: DownstreamResource = { url, name, scopes: [...new Set(request.scopes)], clientId: client.client_id, createdAt: Date.now() };
    await this.store.set(RESOURCE, url, resource);
    return { resource, client };
  }

  async find(url: string): Promise<DownstreamResource | undefined> {
    return (await this.store.get<DownstreamResource>(RESOURCE, url))?.value;
  }

  async list(): Promise<DownstreamResource[]> {
    return (await this.store.list<DownstreamResource>(RESOURCE)).map((r) => r.value).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Forget the API and its credentials; tokens already issued for it live out their (short) lifetime. */
  async remove(url: string): Promise<boolean> {
    const resource = await this.find(url);
    if (!resource) return false;
    await Promise.all([this.store.delete(RESOURCE, url), this.clients.remove(resource.clientId)]);
    return true;
  }
}

/** A resource identifier as RFC 8707 §2 wants it: an absolute URI without a fragment; https, or http on loopback. */
function checkResourceUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OperatorError(`"${value}" is not a URL; give the API's resource identifier (the audience it checks), e.g. https://api.example.com`);
  }
  if (!isHttpsOrLoopback(url)) throw new OperatorError(`${value} must use https (http only on localhost, 127.0.0.1 or [::1])`);
  if (url.hash || value.includes('#')) throw new OperatorError(`${value} must not have a fragment (RFC 8707)`);
  if (url.username || url.password) throw new OperatorError(`${value} must not carry credentials`);
  return value;
}
