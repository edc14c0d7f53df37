import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { AuditRecorder } from '../../audit/audit-log.js';
import { DownstreamTokenError, type DownstreamRequest, type DownstreamToken } from '../../resource/downstream.js';
import type { VerifiedToken } from '../../resource/verifier.js';
import { currentSigningKey, type KeyMaterial } from '../keys/keys.js';
import type { DownstreamResources } from './downstream-resources.js';

/** What the person's name travels as, copied from the caller's token when it carries it. */
const IDENTITY_CLAIMS = ['email', 'preferred_username'] as const;

export interface DownstreamMintOptions {
  issuer: string;
  keys: KeyMaterial;
  resources: DownstreamResources;
  /** The longest an exchanged token lives; never past the caller's own token. */
  accessTokenTtlSeconds: number;
  audit: AuditRecorder;
}

/**
 * Tokens for downstream APIs, exchanged for a person's token (RFC 8693): audience-bound to a registered API, with
 * the scopes asked for (all it may have when none are) — each of which the API accepts and the caller's token
 * already carries, so an exchange never widens what the person granted. The token names the caller's app as its
 * client, keeps the grant (disconnecting the app ends it at every verifier that checks grants), and says in `act`
 * who asked: the resource the caller's token was for, and before it whoever asked for that one.
 */
export class DownstreamMint {
  readonly #imported = new Map<string | undefined, Promise<CryptoKey | Uint8Array>>();

  constructor(private readonly options: DownstreamMintOptions) {}

  /**
   * Exchange `subject` (a verified token of this server, for `actor`) for a token to `request.resource`.
   * Throws a `DownstreamTokenError` carrying the OAuth error to answer with.
   */
  async exchange(subject: VerifiedToken, actor: string, request: DownstreamRequest, address?: string): Promise<DownstreamToken> {
    const token = await this.#mint(subject, actor, request);
    void this.options.audit.record({
      type: 'token.exchanged',
      subject: subject.subject,
      clientId: subject.clientId,
      grantId: subject.claims['gid'] as string,
      ...(address && { address }),
      reason: `for ${request.resource} by ${actor}: ${token.scopes.join(' ')}`,
    });
    return token;
  }

  /** Record a refused exchange: who asked (the API's client, or the person's app in process), and why. */
  refused(who: { subject?: string; clientId?: string; address?: string }, code: string, description: string): void {
    void this.options.audit.record({
      type: 'token.exchange_refused',
      ...(who.subject && { subject: who.subject }),
      ...(who.clientId && { clientId: who.clientId }),
      ...(who.address && { address: who.address }),
      reason: `${code}: ${description}`,
    });
  }

  /** The in-process exchange behind `caller.tokenFor()`: the MCP resource the caller's token was for is the actor. */
  async forCaller(subject: VerifiedToken, actor: string, request: DownstreamRequest): Promise<DownstreamToken> {
    try {
      return await this.exchange(subject, actor, request);
    } catch (error) {
      if (error instanceof DownstreamTokenError) this.refused({ subject: subject.subject, clientId: subject.clientId }, error.code, error.description);
      throw error;
    }
  }

  async #mint(subject: VerifiedToken, actor: string, request: DownstreamRequest): Promise<DownstreamToken> {
    const grantId = subject.claims['gid'];
    if (subject.kind === 'machine' || typeof grantId !== 'string') {
      throw new DownstreamTokenError('invalid_grant', 'only a token issued to an app acting for a person can be exchanged');
    }
    const target = await this.options.resources.find(request.resource);
    if (!target) {
      throw new DownstreamTokenError('invalid_target', `${request.resource} is not a registered downstream API; register it with \`gatehouse resources add\``);
    }
    if (target.url === actor) throw new DownstreamTokenError('invalid_target', `the token is already for ${actor}`);
    const scopes = exchangedScopes(subject.scopes, target.scopes, request);
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = Math.min(now + this.options.accessTokenTtlSeconds, subject.expiresAt);
    if (expiresAt <= now) throw new DownstreamTokenError('invalid_grant', 'the token to exchange has expired');
    const priorActor = subject.claims['act'];
    const identity = Object.fromEntries(IDENTITY_CLAIMS.filter((c) => typeof subject.claims[c] === 'string').map((c) => [c, subject.claims[c]]));
    const signing = this.#key();
    const accessToken = await new SignJWT({
      scope: scopes.join(' '),
      client_id: subject.clientId,
      gid: grantId,
      ...identity,
      act: { sub: actor, ...(typeof priorActor === 'object' && priorActor !== null && { act: priorActor }) },
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signing.kid })
      .setIssuer(this.options.issuer)
      .setSubject(subject.subject)
      .setAudience(target.url)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(await signing.key);
    return { accessToken, expiresAt, scopes };
  }

  /** The ES256 key signing now (a published key takes over when its time comes), each imported once. */
  #key(): { kid: string | undefined; key: Promise<CryptoKey | Uint8Array> } {
    const jwk: JWK | undefined = currentSigningKey(this.options.keys, 'ES256');
    if (!jwk) throw new DownstreamTokenError('server_error', 'no ES256 signing key', { status: 500 });
    const key = this.#imported.get(jwk.kid) ?? importJWK(jwk, 'ES256');
    this.#imported.set(jwk.kid, key);
    return { kid: jwk.kid, key };
  }
}

/**
 * The scopes of an exchanged token: those asked for, or by default every one the API accepts that the caller's
 * token carries. Asking for one the API does not accept, or one the caller was not granted, is refused by name
 * rather than silently dropped: the tool would otherwise call the API with less than it asked for.
 */
function exchangedScopes(granted: readonly string[], accepted: readonly string[], request: DownstreamRequest): string[] {
  const mayHave = accepted.filter((s) => granted.includes(s));
  if (request.scopes === undefined || request.scopes.length === 0) {
    if (mayHave.length === 0) {
      throw new DownstreamTokenError(
        'invalid_scope',
        `the caller's grant includes none of the scopes ${request.resource} accepts (${accepted.join(' ')}); a tool that needs one declares it among its scopes, so the person grants it`,
      );
    }
    return mayHave;
  }
  const unknown = request.scopes.filter((s) => !accepted.includes(s));
  if (unknown.length > 0)
    throw new DownstreamTokenError('invalid_scope', `${request.resource} does not accept ${unknown.join(' ')}; it accepts ${accepted.join(' ')}`);
  const ungranted = request.scopes.filter((s) => !granted.includes(s));
  if (ungranted.length > 0) {
    throw new DownstreamTokenError('invalid_scope', `the caller's grant does not include ${ungranted.join(' ')}; an exchange is never broader than the grant`);
  }
  return [...new Set(request.scopes)];
}
