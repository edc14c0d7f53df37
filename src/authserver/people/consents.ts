import type { Store } from '../../store/contract/store.js';

/** A person's remembered approval of one client: what it may do, and the grant that carries it. */
export interface Consent {
  userId: string;
  clientId: string;
  clientName: string;
  /** Every scope approved, over every approval (what the account page lists). */
  scopes: string[];
  /**
   * Each approval as the page showed it: the exact redirect URI (loopback port included) and the scopes.
   * Newest first, at most `MAX_APPROVALS`. A consent remembered before these were kept has none, so it covers
   * no redirect URI: the person is asked again once.
   */
  approvals?: Approval[];
  grantId: string;
  grantedAt: number;
  lastUsedAt?: number;
}

export interface Approval {
  redirectUri: string;
  scopes: string[];
}

/** An authorization request as the remembered consent must cover it. */
export interface ConsentRequest {
  accountId: string;
  clientId: string;
  /** The grant the request would use (oidc-provider's, from the browser session). */
  grantId?: string;
  redirectUri: string;
  scopes: readonly string[];
}

/** Native clients pick a new loopback port per run: keep the recent approvals, not every one ever made. */
const MAX_APPROVALS = 20;

/** Whether this consent covers the request: the same redirect URI, exactly, and every scope approved for it. */
export function consentCovers(consent: Consent | undefined, redirectUri: string, scopes: readonly string[]): boolean {
  const approval = consent?.approvals?.find((a) => a.redirectUri === redirectUri);
  return approval !== undefined && scopes.every((s) => approval.scopes.includes(s));
}

/** The approvals with this one added: its scopes join any approved earlier for the same redirect URI. */
export function withApproval(approvals: readonly Approval[] | undefined, approval: Approval): Approval[] {
  const earlier = approvals?.find((a) => a.redirectUri === approval.redirectUri);
  const merged = { redirectUri: approval.redirectUri, scopes: [...new Set([...(earlier?.scopes ?? []), ...approval.scopes])] };
  return [merged, ...(approvals ?? []).filter((a) => a !== earlier)].slice(0, MAX_APPROVALS);
}

const CONSENT = 'Consent';
const key = (userId: string, clientId: string) => `${userId}|${clientId}`;
const userGroup = (userId: string) => `consents:${userId}`;
/** Last-use times are written at most this often per grant, so MCP traffic does not become store writes. */
const LAST_USE_RESOLUTION_MS = 60_000;

/**
 * Remembered consent per person and client. Revoking one removes the grant and every token issued under it,
 * which the in-process resource server notices on the app's next call.
 */
export class Consents {
  readonly #lastUseWritten = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly revokeGrant: (grantId: string) => Promise<void>,
    /** Called when a person's last connected app is disconnected (federated mode drops their upstream tokens). */
    private readonly afterLastDisconnect?: (userId: string) => Promise<void>,
  ) {}

  async find(userId: string, clientId: string): Promise<Consent | undefined> {
    return (await this.store.get<Consent>(CONSENT, key(userId, clientId)))?.value;
  }

  /** Whether the person approved this client, under this grant, for this redirect URI and these scopes. */
  async covers(request: ConsentRequest): Promise<boolean> {
    const consent = await this.find(request.accountId, request.clientId);
    if (!consent || (request.grantId !== undefined && consent.grantId !== request.grantId)) return false;
    return consentCovers(consent, request.redirectUri, request.scopes);
  }

  async remember(consent: Consent): Promise<void> {
    await this.store.set(CONSENT, key(consent.userId, consent.clientId), consent);
    await this.store.addToGroup(userGroup(consent.userId), consent.clientId);
  }

  async listForUser(userId: string): Promise<Consent[]> {
    const clientIds = await this.store.members(userGroup(userId));
    const consents = await Promise.all(clientIds.map((clientId) => this.find(userId, clientId)));
    return consents.filter((c): c is Consent => c !== undefined).sort((a, b) => b.grantedAt - a.grantedAt);
  }

  /** Disconnect an app: forget the consent and revoke its grant (refresh tokens, codes, and access tokens via the grant check). */
  async revoke(userId: string, clientId: string): Promise<boolean> {
    const consent = await this.find(userId, clientId);
    if (!consent) return false;
    await this.store.delete(CONSENT, key(userId, clientId));
    await this.revokeGrant(consent.grantId);
    if (this.afterLastDisconnect && (await this.listForUser(userId)).length === 0) await this.afterLastDisconnect(userId);
    return true;
  }

  async revokeAllForUser(userId: string): Promise<void> {
    for (const consent of await this.listForUser(userId)) await this.revoke(userId, consent.clientId);
    await this.store.deleteGroup(userGroup(userId));
  }

  /** Note that a grant was just used (throttled). */
  async touch(userId: string, clientId: string, grantId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.#lastUseWritten.get(grantId) ?? 0) < LAST_USE_RESOLUTION_MS) return;
    this.#lastUseWritten.set(grantId, now);
    const consent = await this.find(userId, clientId);
    if (consent && consent.grantId === grantId) await this.store.set(CONSENT, key(userId, clientId), { ...consent, lastUsedAt: now });
  }
}
