import { client, tokensFrom, upstreamFailure } from './oauth-client.js';
import type { AuthorizationRequest, CompletionRequest, UpstreamIdentity, UpstreamTokens } from './source.js';

export interface CodeFlowOptions {
  label: string;
  scopes: readonly string[];
  /** Extra parameters for the provider's authorization request. */
  extraAuthorizeParams?: Record<string, string> | undefined;
  /** Pass the MCP client's `resource` on to the provider. */
  forwardResource?: boolean | undefined;
  /**
   * OpenID Connect: ask for `response_type=code` with a nonce, and require an ID token (verified by openid-client:
   * signature, issuer, audience, expiry, nonce). Plain OAuth 2 (GitHub) sends neither and expects no ID token.
   */
  openid: boolean;
}

/** The provider's answer to the code exchange, with openid-client's helpers (`claims()` of the verified ID token). */
export type SignInResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

/**
 * One upstream authorization-code flow with PKCE (S256) and `state`, on openid-client, for OpenID Connect providers
 * and plain OAuth 2 ones alike: the authorization URL, the code exchange, the refresh, and the configuration probe.
 */
export function codeFlow(config: () => Promise<client.Configuration>, options: CodeFlowOptions) {
  const { label, openid } = options;
  const scope = () => options.scopes.join(' ');

  return {
    async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
      return client.buildAuthorizationUrl(await config(), {
        ...options.extraAuthorizeParams,
        redirect_uri: request.redirectUri,
        ...(openid && { response_type: 'code' }),
        scope: scope(),
        state: request.state,
        ...(openid && { nonce: request.nonce }),
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
        ...(options.forwardResource && request.resource && { resource: request.resource }),
      });
    },

    /** Redeem the code the browser brought back; `identify` says who signed in. Every failure is an UpstreamError. */
    async complete(
      request: CompletionRequest,
      identify: (response: SignInResponse, configuration: client.Configuration) => Promise<UpstreamIdentity>,
    ): Promise<{ tokens: UpstreamTokens; identity: UpstreamIdentity }> {
      try {
        const configuration = await config();
        const response = await client.authorizationCodeGrant(configuration, request.callbackUrl, {
          pkceCodeVerifier: request.codeVerifier,
          expectedState: request.state,
          ...(openid && { expectedNonce: request.nonce }),
          idTokenExpected: openid,
        });
        return { tokens: tokensFrom(response), identity: await identify(response, configuration) };
      } catch (error) {
        throw upstreamFailure(label, 'sign-in', error);
      }
    },

    async refresh(refreshToken: string): Promise<UpstreamTokens> {
      try {
        return tokensFrom(await client.refreshTokenGrant(await config(), refreshToken), { accessToken: '', refreshToken });
      } catch (error) {
        throw upstreamFailure(label, 'token refresh', error);
      }
    },

    /** The authorization request a start-up check sends with our callback (no extra parameters, nothing forwarded). */
    async probeUrl(redirectUri: string): Promise<URL> {
      return client.buildAuthorizationUrl(await config(), {
        redirect_uri: redirectUri,
        ...(openid && { response_type: 'code' }),
        scope: scope(),
        state: 'configuration-check',
        ...(openid && {
          nonce: 'configuration-check',
          code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        }),
      });
    },
  };
}
