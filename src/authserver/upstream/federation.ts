import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Logger } from 'pino';
import type { Store } from '../../store/contract/store.js';
import type { Accounts, PublicUser } from '../people/accounts.js';
import { seeOther } from '../web/html.js';
import { NotAdmittedError } from '../pages/page-errors.js';
import { withContextCookies } from '../people/sessions.js';
import type { CookiePolicy } from '../web/cookies.js';
import { client } from './oauth-client.js';
import { upstreamProfile } from '../../resource/caller.js';
import { UpstreamError, type UpstreamIdentity, type UpstreamSource, type UpstreamTokens } from './source.js';
import type { UpstreamVault } from './vault.js';
import { admits, type AdmissionPolicy } from './admission.js';
import type { AuditInput, AuditLog } from '../../audit/audit-log.js';
import { clientAddress } from '../../util/client-address.js';
import { tokenHash } from '../../resource/token-cache.js';
import type { TrustedProxies } from '../../util/trusted-proxies.js';
import { ForbiddenError, HttpError, InvalidRequestError, TemporarilyUnavailableError } from '../../util/http-error.js';

/** Where a provider sends the person back after signing in at it: the URL to register in the provider's app. */
export function upstreamCallbackUrl(issuer: string, source: string): string {
  return `${issuer}/oauth/callback/${source}`;
}

/** What a sign-in at an upstream provider is for: an authorization in progress, or the account page. */
export type SignInPurpose = { kind: 'authorization'; uid: string; clientId: string; scopes: string[]; resource?: string } | { kind: 'account' };

/** A person the admission policy did not let in: who they signed in as, where, and whom to ask. */
export interface Refusal {
  account: string;
  provider: string;
  contact?: string;
}

type SignInFailure = { error: string; errorDescription: string; refused?: Refusal };

/** How an upstream sign-in for an authorization ended, handed to the interaction in the same browser. */
export type SignInOutcome =
  | { uid: string; clientId: string; scopes: string[]; source: string; accountId: string }
  | ({ uid: string; clientId: string; source: string } & SignInFailure);

/** One upstream sign-in in flight, stored under the hash of its `state`. */
interface Transaction {
  purpose: SignInPurpose;
  source: string;
  codeVerifier: string;
  nonce: string;
  /** SHA-256 of the consent-binding cookie set in the browser that approved. */
  binding: string;
}

const TRANSACTION = 'UpstreamSignIn';
const OUTCOME = 'UpstreamOutcome';
/** An upstream sign-in must come back within this time; the state works once. */
const TRANSACTION_SECONDS = 600;
const sha256 = tokenHash;

export interface FederationOptions {
  sources: readonly UpstreamSource[];
  store: Store;
  accounts: Accounts;
  vault: UpstreamVault;
  /** The authorization server's issuer: callbacks are `<issuer>/oauth/callback/<source>`. */
  issuer: string;
  basePath: string;
  cookies: CookiePolicy;
  linkByVerifiedEmail: boolean;
  /** Whom upstream sign-ins admit; undefined admits anyone (`dangerouslyAllowAnyUpstreamAccount`). */
  admission: AdmissionPolicy | undefined;
  audit: AuditLog;
  trustProxy: TrustedProxies;
  logger: Logger;
}

/**
 * Sign-in delegated to upstream providers, for the one authorization server. The defences of an OAuth proxy live
 * here: an upstream sign-in starts only from a consent approved in this server's own page; the approving browser
 * gets a binding cookie that the callback requires (a callback completed in another browser gets 403); the
 * `state` is created after consent, works once and expires in 10 minutes; and Gatehouse uses its own PKCE.
 */
export class Federation {
  readonly sources: ReadonlyMap<string, UpstreamSource>;

  constructor(private readonly options: FederationOptions) {
    this.sources = new Map(options.sources.map((s) => [s.name, s]));
  }

  callbackUrl(source: string): string {
    return upstreamCallbackUrl(this.options.issuer, source);
  }

  /** Send the browser to the provider, remembering why (after consent, for authorizations). */
  async start(c: Context, purpose: SignInPurpose, sourceName: string): Promise<Response> {
    const source = this.sources.get(sourceName);
    if (!source) throw new InvalidRequestError('Unknown sign-in option');
    const state = client.randomState();
    const codeVerifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const binding = randomBytes(32).toString('base64url');
    const transaction: Transaction = { purpose, source: source.name, codeVerifier, nonce, binding: sha256(binding) };
    await this.options.store.set(TRANSACTION, sha256(state), transaction, TRANSACTION_SECONDS);
    let url: URL;
    try {
      url = await source.authorizationUrl({
        redirectUri: this.callbackUrl(source.name),
        state,
        codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier),
        nonce,
        ...(purpose.kind === 'authorization' && purpose.resource && { resource: purpose.resource }),
      });
    } catch (error) {
      this.options.logger.warn({ event: 'upstream.unavailable', source: source.name, reason: (error as Error).message }, 'upstream unavailable');
      // No Retry-After: the provider's outage has no known end.
      throw new TemporarilyUnavailableError(`${source.label} cannot be reached right now; try again shortly`, { retryAfter: undefined });
    }
    // Only a browser actually sent upstream gets the binding cookie its callback will need.
    setCookie(c, this.#bindingCookie(state), binding, this.options.cookies.options(TRANSACTION_SECONDS));
    this.options.logger.info({ event: 'upstream.redirect', source: source.name, purpose: purpose.kind }, 'sign-in sent upstream');
    return withContextCookies(c, seeOther(url.href));
  }

  /** The outcome of an upstream sign-in for this interaction, once. */
  async takeOutcome(uid: string): Promise<SignInOutcome | undefined> {
    if (!(await this.options.store.consume(OUTCOME, uid))) return undefined;
    const record = await this.options.store.get<SignInOutcome>(OUTCOME, uid);
    await this.options.store.delete(OUTCOME, uid);
    return record?.value;
  }

  /** The provider's callback, on the pages (its errors are error pages). Authorizations continue at `/interaction/<uid>/upstream`; account sign-ins through `onAccountSignIn`. */
  mount(app: Hono, onAccountSignIn: (c: Context, user: PublicUser) => Promise<Response>): void {
    app.get(`${this.options.basePath}/oauth/callback/:source`, async (c) => {
      const source = this.sources.get(c.req.param('source'));
      const state = c.req.query('state');
      if (!source || !state) throw new InvalidRequestError('This sign-in response is incomplete');
      const transaction = await this.#takeTransaction(state);
      if (!transaction || transaction.source !== source.name) {
        throw new InvalidRequestError('This sign-in has expired or was already used. Start again from the app.');
      }
      const cookieName = this.#bindingCookie(state);
      const binding = getCookie(c, cookieName);
      deleteCookie(c, cookieName, this.options.cookies.options());
      if (!binding || !sameDigest(sha256(binding), transaction.binding)) {
        this.options.logger.warn({ event: 'upstream.binding_mismatch', source: source.name }, 'upstream callback in a browser that did not consent');
        // The page renderer keeps the cleared binding cookie on the error page.
        throw new ForbiddenError('This sign-in was started in another browser. Start again from the app, in this browser.');
      }
      const result = await this.#signIn(c, source, state, transaction);
      const { purpose } = transaction;
      if (purpose.kind === 'account') {
        if ('refused' in result && result.refused) throw new NotAdmittedError(result.refused, result.errorDescription);
        if ('error' in result) throw new HttpError(400, result.error, result.errorDescription);
        return withContextCookies(c, await onAccountSignIn(c, result));
      }
      const outcome: SignInOutcome = {
        uid: purpose.uid,
        clientId: purpose.clientId,
        source: source.name,
        ...('error' in result ? result : { scopes: purpose.scopes, accountId: result.id }),
      };
      // Leave the outcome for the interaction and continue there: its own cookie proves it is the same browser again.
      await this.options.store.set(OUTCOME, purpose.uid, outcome, TRANSACTION_SECONDS);
      return withContextCookies(c, seeOther(`${this.options.basePath}/interaction/${purpose.uid}/upstream`));
    });
  }

  /** The transaction of this state, once: of two requests with one state, one gets it. */
  async #takeTransaction(state: string): Promise<Transaction | undefined> {
    const id = sha256(state);
    const fresh = await this.options.store.consume(TRANSACTION, id);
    const transaction = fresh ? (await this.options.store.get<Transaction>(TRANSACTION, id))?.value : undefined;
    await this.options.store.delete(TRANSACTION, id);
    return transaction;
  }

  /** Finish the sign-in at the provider: who it is, their account, their tokens in the vault; or why not. */
  async #signIn(c: Context, source: UpstreamSource, state: string, transaction: Transaction): Promise<PublicUser | SignInFailure> {
    const failure = (error: string, description: string) => ({ error, errorDescription: oauthText(description) });
    const upstreamError = c.req.query('error');
    if (upstreamError !== undefined) {
      await this.#audit(c, transaction, {
        type: 'login.failed',
        method: source.name,
        outcome: upstreamError === 'access_denied' ? 'denied' : 'failure',
        reason: `${source.label}: ${printable(upstreamError, 64)}`,
      });
      const description = printable(c.req.query('error_description') ?? '', 200);
      return failure(
        upstreamError === 'access_denied' ? 'access_denied' : 'server_error',
        `${source.label} sign-in failed${description ? `: ${description}` : ''}`,
      );
    }
    const callbackUrl = new URL(this.callbackUrl(source.name));
    callbackUrl.search = new URL(c.req.url).search;
    try {
      const { tokens, identity } = await source.complete({
        callbackUrl,
        redirectUri: this.callbackUrl(source.name),
        codeVerifier: transaction.codeVerifier,
        state,
        nonce: transaction.nonce,
      });
      if (!(await this.#admitted(source, identity, tokens))) {
        // Refused before anything is kept: no account, no identity link, no tokens in the vault, no grant.
        await this.#forget(source, tokens);
        await this.#audit(c, transaction, {
          type: 'login.failed',
          method: source.name,
          outcome: 'denied',
          reason: `not admitted by the admission policy: ${source.name} ${printable(identity.subject, 64)}`,
        });
        const refused: Refusal = {
          account: accountName(identity),
          provider: source.label,
          ...(this.options.admission?.contact && { contact: this.options.admission.contact }),
        };
        return { ...failure('access_denied', `This server does not admit this ${source.label} account`), refused };
      }
      // Only the profile is kept: admission-only claims (hosted domain, tenant) are not stored with the account.
      const user = await this.options.accounts.signInWithIdentity(upstreamProfile(source.name, identity), {
        linkByVerifiedEmail: this.options.linkByVerifiedEmail,
      });
      if (user.disabled) {
        await this.#audit(c, transaction, { type: 'login.failed', subject: user.id, method: source.name, outcome: 'denied', reason: 'account disabled' });
        return failure('access_denied', 'This account is disabled');
      }
      await this.options.vault.save(user.id, source.name, tokens);
      await this.#audit(c, transaction, { type: 'login.succeeded', subject: user.id, method: source.name, outcome: 'success' });
      return user;
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      await this.#audit(c, transaction, { type: 'login.failed', method: source.name, outcome: 'failure', reason: printable(error.message, 200) });
      return failure('server_error', error.message);
    }
  }

  #admitted(source: UpstreamSource, identity: UpstreamIdentity, tokens: UpstreamTokens): Promise<boolean> | boolean {
    const policy = this.options.admission;
    if (!policy) return true;
    return admits(
      policy,
      { source, identity, tokens },
      { accounts: this.options.accounts, linkByVerifiedEmail: this.options.linkByVerifiedEmail, sourceNames: new Set(this.sources.keys()) },
    );
  }

  /** Tokens of a refused person are not kept; where the provider can revoke them, they end now too. */
  async #forget(source: UpstreamSource, tokens: UpstreamTokens): Promise<void> {
    try {
      await source.revoke?.(tokens);
    } catch (error) {
      this.options.logger.warn(
        { event: 'upstream.revoke_failed', source: source.name, reason: (error as Error).message },
        'could not revoke the tokens of a refused sign-in',
      );
    }
  }

  #audit(c: Context, transaction: Transaction, event: AuditInput): Promise<void> {
    const { purpose } = transaction;
    return this.options.audit.record({
      ...event,
      ...(purpose.kind === 'authorization' ? { clientId: purpose.clientId } : { reason: [event.reason, 'account page'].filter(Boolean).join('; ') }),
      address: clientAddress(c, this.options.trustProxy),
    });
  }

  #bindingCookie(state: string): string {
    return this.options.cookies.name(`gatehouse_upstream_${sha256(state).slice(0, 12)}`);
  }
}

/** How a person would recognise the account they just used: login, email, or the provider's identifier. */
function accountName(identity: UpstreamIdentity): string {
  const { username, email } = identity;
  return printable(username && email && username !== email ? `${username} (${email})` : (username ?? email ?? identity.subject), 200);
}

function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** RFC 6749 §4.1.2.1: an error_description holds only %x20-21 / %x23-5B / %x5D-7E; anything else becomes a space. */
function oauthText(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

/** Text from the provider, cut to length and stripped of control characters (it is escaped again where shown). */
function printable(value: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job, to strip them
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, max);
}
