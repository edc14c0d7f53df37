import type { AuditLog } from '../../audit/audit-log.js';
import type { Accounts, PublicUser } from './accounts.js';
import type { Consents } from './consents.js';

/** Who made a change: the CLI, or an admin in the console (their account id). */
export interface Acting {
  via: 'cli' | 'admin console';
  actor?: string;
}

export interface PeopleAdminDeps {
  accounts: Accounts;
  consents: Consents;
  audit: AuditLog;
  /** Drop a person's upstream tokens (federated mode), revoking them at the provider where it can. */
  dropUpstreamTokens(userId: string): Promise<void>;
}

/**
 * What an operator does to someone's account, each with its audit record: the CLI and the admin console call
 * these, so a change means the same thing (and is recorded the same way) from either.
 */
export class PeopleAdmin {
  constructor(private readonly deps: PeopleAdminDeps) {}

  async remove(reference: string, acting: Acting): Promise<PublicUser> {
    const user = await this.deps.accounts.remove(reference);
    await this.deps.consents.revokeAllForUser(user.id);
    await this.deps.dropUpstreamTokens(user.id);
    await this.#record('account.removed', user.id, acting);
    return user;
  }

  async setDisabled(reference: string, disabled: boolean, acting: Acting): Promise<PublicUser> {
    const user = await this.deps.accounts.setDisabled(reference, disabled);
    await this.#record('account.changed', user.id, acting, disabled ? 'disabled' : 'enabled');
    return user;
  }

  async setAdmin(reference: string, admin: boolean, acting: Acting): Promise<PublicUser> {
    const user = await this.deps.accounts.setAdmin(reference, admin);
    await this.#record('account.changed', user.id, acting, admin ? 'admin role granted' : 'admin role revoked');
    return user;
  }

  /** Disconnect one of someone's apps: the same revocation as the account page's, so its next call gets 401. */
  async disconnect(userId: string, clientId: string, acting: Acting): Promise<boolean> {
    const revoked = await this.deps.consents.revoke(userId, clientId);
    if (revoked) await this.#record('consent.revoked', userId, acting, undefined, clientId);
    return revoked;
  }

  async #record(type: 'account.removed' | 'account.changed' | 'consent.revoked', subject: string, acting: Acting, what?: string, clientId?: string) {
    await this.deps.audit.record({ type, subject, clientId, actor: acting.actor, reason: what ? `${what} (${acting.via})` : acting.via });
  }
}
