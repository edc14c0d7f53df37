import type { AuthMode } from '../resource/auth-mode.js';
import { embedded, type EmbeddedOptions } from './embedded.js';
import type { UpstreamSource } from './upstream/source.js';

export interface FederatedOptions extends EmbeddedOptions {
  upstreams: UpstreamSource[];
}

/**
 * Federated mode (the "OAuth proxy"): the embedded authorization server, with sign-in delegated to upstream
 * providers. MCP clients register, consent and get tokens here; the provider only sees Gatehouse's one app
 * credential, and its tokens stay in the server, sealed, for tools to use.
 */
export function federated(options: FederatedOptions): AuthMode {
  if (options.upstreams.length === 0) throw new Error('federated mode needs at least one upstream provider');
  const names = options.upstreams.map((u) => u.name);
  if (new Set(names).size !== names.length) throw new Error(`upstream providers need distinct names (got ${names.join(', ')})`);
  return { ...embedded(options), kind: 'federated' };
}
