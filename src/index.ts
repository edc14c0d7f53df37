export { protect, gatehouse, GatehouseServer, type GatehouseOptions, type ProtectOptions, type RunningServer, type MetricsOptions } from './gatehouse.js';
export { requires } from './mcp/serving.js';
export type { ScopeMap, ScopeList } from './mcp/scope-policy.js';
export type { NodeMiddleware, Next } from './http/mount.js';
export { resource, dangerouslyNoAuth, type AuthMode, type AuthSetup, type AuthContext, type ResourceModeOptions } from './resource/auth-mode.js';
export { jwt, type JwtVerifierOptions } from './resource/jwt.js';
export { introspection, type IntrospectionVerifierOptions } from './resource/introspection.js';
export { dangerouslyStaticTokens, type StaticTokenIdentity } from './resource/static-tokens.js';
export { InvalidTokenError, VerifierUnavailableError, type TokenVerifier, type UnavailableReason, type VerifiedToken } from './resource/verifier.js';
export { tokenFromClaims } from './resource/claims.js';
export { parseScopes, missingScopes, expandScopes, type ScopeHierarchy } from './resource/scopes.js';
export { bearerChallenge, type ChallengeParams } from './resource/challenge.js';
export { DPOP_ALGORITHMS, type DpopOptions } from './resource/dpop.js';
export { getCaller, callerOf } from './mcp/caller.js';
export type { Caller, CallerKind, UpstreamCaller } from './resource/caller.js';
export { DownstreamTokenError } from './resource/downstream.js';
export type { DownstreamRequest, DownstreamToken, SubjectToken, TokenExchanger } from './resource/downstream.js';
export { tokenExchange, type TokenExchangeOptions } from './resource/exchange/token-exchange.js';
export { entraOnBehalfOf, type EntraOnBehalfOfOptions } from './resource/exchange/entra-obo.js';
export type { ClientCredentialOptions } from './resource/exchange/client-auth.js';
export type { ToolConfig, ToolContext, ToolReturn, ToolDefinition } from './mcp/tools.js';
export { whoamiTool, WHOAMI_SCOPE } from './mcp/whoami.js';
export { serverUrls, type ServerUrls } from './resource/urls.js';
export { createLogger, type LogFormat, type LogLevel } from './util/logger.js';
export { embedded, type EmbeddedOptions } from './authserver/embedded.js';
export { federated, type FederatedOptions } from './authserver/federated.js';
export { github, type GitHubOptions } from './authserver/upstream/github.js';
export { oidc, google, microsoft, auth0, type OidcOptions } from './authserver/upstream/oidc.js';
export {
  UpstreamError,
  UpstreamDiscoveryError,
  type DiscoveryProblem,
  type UpstreamSource,
  type UpstreamOptions,
  type UpstreamIdentity,
  type UpstreamTokens,
  type Memberships,
} from './authserver/upstream/source.js';
export type { AdmissionPolicy } from './authserver/upstream/admission.js';
export { UpstreamReauthenticationRequired } from './authserver/upstream/vault.js';
export type { RedirectPolicy } from './authserver/clients/redirect-policy.js';
export { PRESETS, findPreset, type ClientPreset } from './authserver/clients/presets.js';
export { openStore, MemoryStore, type Store, type StoredRecord } from './store/index.js';
export type { ScopeDescription, ScopeInfo } from './resource/auth-mode.js';
export { DEFAULT_LIMITS, type RequestLimits } from './http/limits.js';
export { TrustProxyError, type TrustProxyOption, type ForwardedHeader } from './util/trusted-proxies.js';
export { AuditLog, AUDIT_EVENTS, type AuditEvent, type AuditEventType, type AuditFilter } from './audit/audit-log.js';
export { doctor, doctorUrlProblem, type DoctorOptions } from './client/doctor/doctor.js';
export type { Check, CheckStatus, DoctorReport } from './client/doctor/report.js';
export { connect, type ConnectOptions, type Connection } from './client/connect/connect.js';
export { bridge, type BridgeOptions } from './client/connect/bridge.js';
export type { SessionOptions } from './client/connect/session.js';
export type { ClientCredentials, EnterpriseGrant, PreRegisteredClient } from './client/connect/provider.js';
export { defaultConfigDir } from './client/connect/config-dir.js';
export { UnsafeAuthorizationUrlError } from './client/connect/opener.js';
