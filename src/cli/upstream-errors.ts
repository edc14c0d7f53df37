import { UpstreamDiscoveryError } from '../authserver/upstream/source.js';
import { ConfigError, describeSetting } from '../config/load.js';
import type { GatehouseConfig } from '../config/schema.js';
import { flag, type SettingKey } from '../config/settings.js';

/** The setting that decides where a provider's discovery document is read. */
function issuerSetting(config: GatehouseConfig): SettingKey {
  if (config.upstream === 'microsoft') return 'upstreamTenant';
  // Google's issuer is fixed: only which provider was chosen is the operator's.
  if (config.upstream === 'google') return 'upstream';
  return 'upstreamIssuer';
}

/**
 * A federated provider whose discovery document could not be read at start, as an operator's mistake naming the
 * setting, what went wrong and the fix; undefined for any other failure.
 */
export function upstreamProblem(error: unknown, config: GatehouseConfig): ConfigError | undefined {
  if (!(error instanceof UpstreamDiscoveryError)) return undefined;
  const key = issuerSetting(config);
  const fixes: Record<UpstreamDiscoveryError['problem'], string> = {
    unreachable:
      key === 'upstreamIssuer'
        ? `check the URL (your provider's issuer, e.g. https://login.example.com) and that this machine can reach it`
        : 'check that this machine can reach the provider, then start again',
    timeout: 'check that this machine can reach the provider (a proxy or firewall may hold the connection), then start again',
    'not-discovery':
      key === 'upstreamTenant'
        ? `give your directory's tenant id or domain, e.g. ${flag(key)} contoso.onmicrosoft.com`
        : `give the provider's issuer URL, the one whose /.well-known/openid-configuration is its discovery document`,
    'issuer-mismatch': `give exactly the issuer the provider publishes, e.g. ${flag(key)} ${error.published ?? ''}, if that is the provider you mean`,
  };
  return new ConfigError([`${describeSetting(key)}: ${error.detail}: ${fixes[error.problem]}`]);
}
