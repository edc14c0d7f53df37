import { decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { ASYMMETRIC_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE_SECONDS } from '../../resource/jwt.js';
import { assertionRefused, IdpUnavailable } from './refusals.js';
import type { TrustedIdps } from './trusted-idps.js';

/** The JWT bearer authorization grant (RFC 7523 §2.1), which carries the ID-JAG. */
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The `typ` of an Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant). */
export const ID_JAG_TYPE = 'oauth-id-jag+jwt';

/** ID-JAGs are short-lived grants (minutes): one valid for longer than this is refused. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 3600;

/** What a verified ID-JAG says: who the person is at which IdP, for which client and resource, with what access. */
export interface IdJag {
  issuer: string;
  subject: string;
  clientId: string;
  resource: string;
  /** The scopes the IdP granted (`scope` claim), or undefined when it names none. */
  scopes: string[] | undefined;
  jti: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  email?: string;
  emailVerified?: boolean;
  name?: string;
  username?: string;
}

export interface IdJagExpectations {
  idps: TrustedIdps;
  /** This authorization server's issuer: the only audience accepted. */
  audience: string;
  /** The resource identifiers this server issues tokens for. */
  resources: readonly string[];
  /** The client that authenticated at the token endpoint. */
  clientId: string;
}

/** A claim the client sent, quoted for a description (and the audit trail): escaped, and cut short. */
function quoted(value: unknown): string {
  const json = JSON.stringify(value ?? null);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function normalizedType(typ: unknown): string | undefined {
  return typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : undefined;
}

/**
 * Verify an ID-JAG presented with the JWT bearer grant (RFC 7523 §3, the draft's §4.3 processing rules): its type,
 * a trusted issuer and that issuer's signature, this server as audience, `exp`/`iat` within bounds, and `client_id`
 * and `resource` naming the caller and this server. Each refusal says what was wrong and what would fix it.
 * Single use of `jti` is the caller's part (it needs the store).
 */
export async function verifyIdJag(assertion: string, expect: IdJagExpectations): Promise<IdJag> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    throw assertionRefused('the assertion is not a signed JWT; send the ID-JAG the identity provider issued, unchanged');
  }
  if (normalizedType(header.typ) !== ID_JAG_TYPE) {
    throw assertionRefused(
      `the assertion is not an ID-JAG: its typ is ${quoted(header.typ)}, not ${ID_JAG_TYPE}; exchange the ID token at the identity provider for an ID-JAG first (RFC 8693, requested_token_type urn:ietf:params:oauth:token-type:id-jag)`,
    );
  }
  const issuer = unverified.iss;
  if (!expect.idps.trusts(issuer)) {
    throw assertionRefused(
      `the assertion was issued by ${quoted(issuer)}, which this server does not trust; its operator adds identity providers with --enterprise-idp`,
    );
  }
  if (typeof header.alg !== 'string' || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(header.alg)) {
    throw assertionRefused(`the assertion is signed with ${quoted(header.alg)}; ID-JAGs must be signed with the identity provider's public-key algorithm`);
  }

  const keys = await expect.idps.keysOf(issuer);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(assertion, keys, {
      issuer,
      audience: expect.audience,
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      clockTolerance: DEFAULT_CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_ASSERTION_LIFETIME_SECONDS,
      requiredClaims: ['exp', 'iat', 'sub', 'jti', 'client_id'],
    }));
  } catch (error) {
    throw verificationRefusal(error, issuer, expect.audience);
  }

  const exp = payload['exp'] as number;
  const iat = payload['iat'] as number;
  if (exp - iat > MAX_ASSERTION_LIFETIME_SECONDS) {
    throw assertionRefused(
      `the assertion is valid for ${exp - iat} seconds; ID-JAGs may live at most ${MAX_ASSERTION_LIFETIME_SECONDS} (configure a shorter lifetime at the identity provider)`,
    );
  }
  const clientId = text(payload['client_id']);
  if (clientId !== expect.clientId) {
    throw assertionRefused(`the assertion was issued to the client ${quoted(payload['client_id'])}, so only that client may redeem it, not ${expect.clientId}`);
  }
  const resource = text(payload['resource']);
  if (!resource) throw assertionRefused(`the assertion names no resource; ask the identity provider for an ID-JAG with resource ${expect.resources[0]}`);
  if (!expect.resources.includes(resource)) {
    throw assertionRefused(
      `the assertion is for the resource ${resource}, not this server (${expect.resources[0]}); ask the identity provider for an ID-JAG for this server`,
    );
  }
  const subject = text(payload['sub']);
  const jti = text(payload['jti']);
  if (!subject || !jti) throw assertionRefused('the assertion must carry a non-empty sub and jti');
  const scope = payload['scope'];
  if (scope !== undefined && typeof scope !== 'string') throw assertionRefused("the assertion's scope must be a space-separated string");

  return {
    issuer,
    subject,
    clientId,
    resource,
    scopes: scope === undefined ? undefined : scope.split(' ').filter(Boolean),
    jti,
    expiresAt: exp,
    ...(text(payload['email']) && { email: text(payload['email']) }),
    ...(typeof payload['email_verified'] === 'boolean' && { emailVerified: payload['email_verified'] }),
    ...(text(payload['name']) && { name: text(payload['name']) }),
    ...(text(payload['preferred_username']) && { username: text(payload['preferred_username']) }),
  };
}

/** jose's verdicts, as refusals a person can act on; key fetching that failed is the IdP's trouble, not the assertion's. */
function verificationRefusal(error: unknown, issuer: string, audience: string): Error {
  if (error instanceof errors.JWTExpired) return assertionRefused('the assertion has expired; ask the identity provider for a new ID-JAG');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') {
      return assertionRefused(`the assertion's audience is not this authorization server; ask the identity provider for an ID-JAG with audience ${audience}`);
    }
    if (error.claim === 'iat') {
      return assertionRefused(
        `the assertion's iat is in the future or more than ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ago; check the identity provider's clock`,
      );
    }
    if (error.claim === 'nbf') return assertionRefused("the assertion is not valid yet (nbf); check the identity provider's clock");
    if (error.reason === 'missing')
      return assertionRefused(`the assertion has no ${error.claim} claim; an ID-JAG must carry iss, sub, aud, client_id, jti, exp and iat`);
    return assertionRefused(`the assertion's ${error.claim} claim is invalid`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) return assertionRefused(`the assertion is signed with a key ${issuer} does not publish in its JWKS`);
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return assertionRefused(`the assertion's signature does not verify with the keys ${issuer} publishes`);
  if (error instanceof errors.JOSEAlgNotAllowed) return assertionRefused('the assertion is signed with an algorithm that is not allowed');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
    const detail = error instanceof Error ? error.message : String(error);
    return new IdpUnavailable(`the keys of the identity provider ${issuer} could not be fetched; try again later`, detail);
  }
  // jose's generic failures of a JWKS fetch (a status other than 200, a body that is not JSON).
  if (error.code === 'ERR_JOSE_GENERIC')
    return new IdpUnavailable(`the keys of the identity provider ${issuer} could not be fetched; try again later`, error.message);
  return assertionRefused('the assertion could not be verified: it is malformed');
}
