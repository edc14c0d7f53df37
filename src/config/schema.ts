import { z } from 'zod';
import { isHttpsOrLoopback } from '../resource/urls.js';
import { mcpPathInPublicUrl } from './public-url.js';
import { envName, flag, SETTINGS_TABLE } from './settings.js';

/** Every setting of `gatehouse serve`, from the config file, the environment and flags alike, and the rules between them. */
export const configSchema = z
  .object(SETTINGS_TABLE)
  .strict()
  .superRefine((config, ctx) => {
    const need = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (config.headersTimeoutSeconds > config.requestTimeoutSeconds) {
      need('headersTimeoutSeconds', `must not exceed ${flag('requestTimeoutSeconds')} (${config.requestTimeoutSeconds})`);
    }
    const mcpPathProblem = config.publicUrl === undefined ? undefined : mcpPathInPublicUrl(config.publicUrl, config.mcpPath);
    if (mcpPathProblem) need('publicUrl', mcpPathProblem);
    if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === config.port) {
      need('metricsPort', `must differ from ${flag('port')} (or leave it out and set ${envName('metricsToken')} to serve /metrics on the main port)`);
    }
    if (config.refreshTokenIdleTtlSeconds !== undefined && config.refreshTokenIdleTtlSeconds > config.refreshTokenTtlSeconds) {
      need('refreshTokenIdleTtlSeconds', `must not exceed ${flag('refreshTokenTtlSeconds')} (${config.refreshTokenTtlSeconds}), the absolute lifetime`);
    }
    if (config.mode === 'resource' && config.enterpriseIdp.length > 0) {
      need(
        'enterpriseIdp',
        `needs the built-in authorization server (${flag('mode')} embedded or federated); in resource mode, configure ID-JAGs at your authorization server`,
      );
    }
    if (config.stdio || config.mode === 'embedded') return; // stdio carries no OAuth; embedded mode verifies its own tokens
    if (config.mode === 'federated') {
      if (config.upstream === undefined) need('upstream', `federated mode needs ${flag('upstream')} ${SETTINGS_TABLE.upstream.unwrap().options.join('|')}`);
      if (config.upstreamClientId === undefined) need('upstreamClientId', 'required in federated mode: the client id of the app registered at the provider');
      if (config.upstreamClientSecret === undefined)
        need('upstreamClientSecret', 'required in federated mode: the client secret of the app registered at the provider');
      if ((config.upstream === 'oidc' || config.upstream === 'auth0') && config.upstreamIssuer === undefined) {
        need(
          'upstreamIssuer',
          `${flag('upstream')} ${config.upstream} needs the provider's issuer URL, e.g. ${flag('upstreamIssuer')} https://login.example.com`,
        );
      }
      if (config.upstream === 'microsoft' && config.upstreamTenant === undefined)
        need('upstreamTenant', `${flag('upstream')} microsoft needs your Entra tenant id or domain`);
      admissionProblems(config, need);
      for (const key of ['upstreamIssuer', 'upstreamApiUrl'] as const) {
        const value = config[key];
        if (value !== undefined && !isHttpsOrLoopback(new URL(value))) need(key, 'must use https (plain http only for localhost)');
      }
      return;
    }
    const sources = (['jwksUri', 'publicKeyFile', 'jwtSecret', 'introspectionUrl', 'dangerouslyStaticTokens', 'devKeys'] as const).filter(
      (key) => config[key] !== undefined && config[key] !== false,
    );
    if (sources.length === 0) {
      need(
        'jwksUri',
        `resource mode needs a way to verify tokens: set ${flag('jwksUri')}, ${flag('introspectionUrl')}, ${flag('publicKeyFile')} or ${flag('jwtSecret')} (or ${flag('devKeys')} for local development)`,
      );
    } else if (sources.length > 1) {
      need(sources[1]!, `choose one way to verify tokens, not several (got ${sources.join(', ')})`);
    }
    const external = sources.some((s) => s === 'jwksUri' || s === 'publicKeyFile' || s === 'jwtSecret' || s === 'introspectionUrl');
    if (external && config.issuer === undefined) {
      need('issuer', `required in resource mode: the URL of the authorization server that issues the tokens, e.g. ${flag('issuer')} https://auth.example.com`);
    }
    if (config.introspectionUrl !== undefined) {
      if (config.introspectionClientId === undefined)
        need('introspectionClientId', `required with ${flag('introspectionUrl')}: the client id this server was given to call the introspection endpoint`);
      if (config.introspectionClientSecret === undefined)
        need('introspectionClientSecret', `required with ${flag('introspectionUrl')}: the client secret that goes with ${envName('introspectionClientId')}`);
    }
    if (config.algorithms && config.jwtSecret === undefined && config.algorithms.some((a) => a.startsWith('HS'))) {
      need('algorithms', `HS* algorithms need ${flag('jwtSecret')}; with public keys use RS*, PS*, ES* or EdDSA`);
    }
  });

export type GatehouseConfig = z.infer<typeof configSchema>;

/** The settings that say whom federated sign-in admits. */
export const ADMISSION_SETTINGS = [
  'admitUsers',
  'admitGithubOrgs',
  'admitGithubTeams',
  'admitHostedDomains',
  'admitTenants',
  'admitEmailDomains',
  'admitExistingAccounts',
] as const;

/** The admission settings in use. */
function admissionRules(config: GatehouseConfig): string[] {
  return ADMISSION_SETTINGS.filter((key) => (key === 'admitExistingAccounts' ? config[key] : config[key].length > 0));
}

/**
 * What is wrong when `gatehouse serve` would sign people in upstream without saying whom it admits (other
 * commands only open the data, so only serving needs it). Undefined when a policy, or the dangerous flag, is set.
 */
export function missingAdmission(config: GatehouseConfig): string | undefined {
  if (config.mode !== 'federated' || config.stdio || config.dangerouslyAllowAnyUpstreamAccount || admissionRules(config).length) return undefined;
  const flags = ADMISSION_SETTINGS.map(flag);
  return `federated mode admits nobody until you say whom: set ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)} (or ${flag('dangerouslyAllowAnyUpstreamAccount')} to let anyone with an account at the provider in)`;
}

/** Admission rules must fit the provider. */
function admissionProblems(config: GatehouseConfig, need: (path: string, message: string) => void): void {
  const set = admissionRules(config);
  if (config.dangerouslyAllowAnyUpstreamAccount && set.length)
    need('dangerouslyAllowAnyUpstreamAccount', `admits anyone; leave it out when admitting by ${set.join(', ')}`);
  const github = config.upstream === 'github';
  if (!github && (config.admitGithubOrgs.length || config.admitGithubTeams.length))
    need(config.admitGithubOrgs.length ? 'admitGithubOrgs' : 'admitGithubTeams', `needs ${flag('upstream')} github`);
  if (github && config.admitHostedDomains.length)
    need('admitHostedDomains', `GitHub has no hosted domains (Google's hd claim); use ${flag('admitGithubOrgs')} or ${flag('admitEmailDomains')}`);
  if (github && config.admitTenants.length) need('admitTenants', `GitHub has no tenants (Microsoft's tid claim); use ${flag('admitGithubOrgs')}`);
  if (github && (config.admitGithubOrgs.length || config.admitGithubTeams.length) && config.upstreamScopes && !config.upstreamScopes.includes('read:org')) {
    need(
      'upstreamScopes',
      `admission by GitHub organisation or team needs the read:org scope: add it to ${flag('upstreamScopes')} (or leave them at the default)`,
    );
  }
}
