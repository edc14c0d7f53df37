import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { UpstreamProfile } from '../../resource/caller.js';
import type { Store } from '../../store/contract/store.js';
import { InvalidRequestError, TemporarilyUnavailableError } from '../../util/http-error.js';
import { endSessionsOf } from './session-index.js';

/** argon2id with the OWASP-recommended minimum cost: 19 MiB memory, 2 iterations, 1 lane. */
export const ARGON2_PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_LENGTH = 10;

export interface User {
  id: string;
  /** The sign-in email; for people from an identity source that gave none, empty. */
  email: string;
  /** Absent for people who only sign in through an identity source. */
  passwordHash?: string;
  disabled: boolean;
  createdAt: number;
  /** Upstream identities that sign in to this account, most recently used first. */
  identities?: UpstreamProfile[];
  /** May use the admin console. A field on the stored record: accounts written before it have none (not an admin). */
  admin?: boolean;
}

export type PublicUser = Omit<User, 'passwordHash'>;

const USER = 'User';
const BY_EMAIL = 'UserByEmail';
const BY_IDENTITY = 'UserByIdentity';
const identityKey = (source: string, subject: string) => `${source}|${subject}`;
const LOCK = 'UserLock';
const LOCK_SECONDS = 5;
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

/**
 * What the accounts refuse to do with what they were given: a bad email or password, a duplicate, no such account.
 * A 400; the setup page shows its message on the form, the CLI prints it.
 */
export class AccountError extends InvalidRequestError {
  override readonly name: string = 'AccountError';
}

/**
 * Another change to the same account or identity got there first (two sign-ins at once, an operator's change):
 * nothing is wrong with the request, and trying again succeeds. A 503 with Retry-After.
 */
export class AccountBusyError extends TemporarilyUnavailableError {
  override readonly name: string = 'AccountBusyError';
}

/** Accounts, kept in the store: local ones (email + argon2id password hash) and those of upstream identities. */
export class Accounts {
  /** A hash to verify against when the email is unknown, so a miss costs as much time as a wrong password. */
  #decoy?: Promise<string>;

  constructor(private readonly store: Store) {}

  static normalizeEmail(email: string): string {
    return email.trim().toLowerCase();
  }

  async count(): Promise<number> {
    return (await this.store.list(USER)).length;
  }

  async create(emailInput: string, password: string, options: { admin?: boolean } = {}): Promise<PublicUser> {
    const email = Accounts.normalizeEmail(emailInput);
    if (!EMAIL.test(email) || email.length > 254) throw new AccountError(`"${emailInput}" is not a valid email address`);
    checkPassword(password);
    if (await this.store.get(BY_EMAIL, email)) throw new AccountError(`an account for ${email} already exists`);
    const user: User = {
      id: randomUUID(),
      email,
      passwordHash: await hash(password, ARGON2_PARAMS),
      disabled: false,
      createdAt: Date.now(),
      ...(options.admin && { admin: true }),
    };
    await this.store.set(USER, user.id, user);
    await this.store.set(BY_EMAIL, email, { userId: user.id });
    return withoutHash(user);
  }

  async findById(id: string): Promise<PublicUser | undefined> {
    const record = await this.store.get<User>(USER, id);
    return record ? withoutHash(record.value) : undefined;
  }

  async findByEmail(emailInput: string): Promise<PublicUser | undefined> {
    const index = await this.store.get<{ userId: string }>(BY_EMAIL, Accounts.normalizeEmail(emailInput));
    return index ? this.findById(index.value.userId) : undefined;
  }

  /** The account an upstream identity is linked to, if any; creates nothing. */
  async findByIdentity(source: string, subject: string): Promise<PublicUser | undefined> {
    const linked = await this.store.get<{ userId: string }>(BY_IDENTITY, identityKey(source, subject));
    return linked ? this.findById(linked.value.userId) : undefined;
  }

  /** The account for these credentials, or undefined (unknown email, wrong password, or disabled). */
  async authenticate(emailInput: string, password: string): Promise<PublicUser | undefined> {
    const index = await this.store.get<{ userId: string }>(BY_EMAIL, Accounts.normalizeEmail(emailInput));
    const record = index ? await this.store.get<User>(USER, index.value.userId) : undefined;
    if (!record?.value.passwordHash) {
      this.#decoy ??= hash(randomUUID(), ARGON2_PARAMS);
      await verify(await this.#decoy, password).catch(() => false);
      return undefined;
    }
    const ok = await verify(record.value.passwordHash, password).catch(() => false);
    return ok && !record.value.disabled ? withoutHash(record.value) : undefined;
  }

  /**
   * The account an upstream identity signs in to: the one linked to the provider's stable subject; else, only
   * when `linkByVerifiedEmail` is on and the provider vouches for the email, the account with that email; else a
   * new account. The identity's profile (email, username) is refreshed on every sign-in.
   */
  async signInWithIdentity(identity: UpstreamProfile, options: { linkByVerifiedEmail: boolean }): Promise<PublicUser> {
    const key = identityKey(identity.source, identity.subject);
    // Each pass either finds the linked account or claims the identity; a lost race goes round again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const linked = await this.store.get<{ userId: string }>(BY_IDENTITY, key);
      if (linked && (await this.store.get<User>(USER, linked.value.userId))) return this.#addIdentity(linked.value.userId, identity);
      // A link to a removed account frees the identity.
      if (linked) await this.store.delete(BY_IDENTITY, key);
      let userId = options.linkByVerifiedEmail ? await this.#verifiedEmailOwner(identity) : undefined;
      if (userId) {
        if (!(await this.store.setIfAbsent(BY_IDENTITY, key, { userId }))) continue;
      } else {
        // The account exists before anything points at it, so a failure in between leaves no dangling link.
        const email = identity.emailVerified && identity.email ? Accounts.normalizeEmail(identity.email) : '';
        const created: User = { id: randomUUID(), email, disabled: false, createdAt: Date.now(), identities: [] };
        await this.store.set(USER, created.id, created);
        if (!(await this.store.setIfAbsent(BY_IDENTITY, key, { userId: created.id }))) {
          await this.store.delete(USER, created.id);
          continue;
        }
        // The email index stays with whoever has it; this account then just shows the identity.
        if (email && !(await this.store.setIfAbsent(BY_EMAIL, email, { userId: created.id })))
          await this.store.set(USER, created.id, { ...created, email: '' });
        userId = created.id;
      }
      return this.#addIdentity(userId, identity);
    }
    throw new AccountBusyError('this sign-in is racing with another one for the same identity; try again');
  }

  async #verifiedEmailOwner(identity: UpstreamProfile): Promise<string | undefined> {
    if (!identity.emailVerified || !identity.email) return undefined;
    const byEmail = await this.store.get<{ userId: string }>(BY_EMAIL, Accounts.normalizeEmail(identity.email));
    return byEmail && (await this.store.get<User>(USER, byEmail.value.userId)) ? byEmail.value.userId : undefined;
  }

  /** Put this identity first among the account's identities, with the profile the provider gave just now. */
  async #addIdentity(userId: string, identity: UpstreamProfile): Promise<PublicUser> {
    const key = identityKey(identity.source, identity.subject);
    return withoutHash(
      await this.#update(userId, (user) => ({
        ...user,
        identities: [identity, ...(user.identities ?? []).filter((i) => identityKey(i.source, i.subject) !== key)],
      })),
    );
  }

  /**
   * Change an account as one step: under a short per-account lock, read, change, write. Without it, a sign-in
   * updating identities could write back an account an operator disabled a moment before.
   */
  async #update(userId: string, change: (user: User) => User): Promise<User> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await this.store.setIfAbsent(LOCK, userId, true, LOCK_SECONDS)) {
        try {
          const current = await this.store.get<User>(USER, userId);
          if (!current) throw new AccountBusyError('the account was removed');
          const updated = change(current.value);
          await this.store.set(USER, userId, updated);
          return updated;
        } finally {
          await this.store.delete(LOCK, userId);
        }
      }
      await sleep(20);
    }
    throw new AccountBusyError('the account is busy; try again');
  }

  async list(): Promise<PublicUser[]> {
    return (await this.store.list<User>(USER)).map((r) => withoutHash(r.value)).sort((a, b) => a.createdAt - b.createdAt);
  }

  async setPassword(emailInput: string, password: string): Promise<void> {
    checkPassword(password);
    const user = await this.#require(emailInput);
    const passwordHash = await hash(password, ARGON2_PARAMS);
    await this.#update(user.id, (current) => ({ ...current, passwordHash }));
    // Whoever signed in with the old password (perhaps the reason for the change) is signed out everywhere.
    await endSessionsOf(this.store, user.id);
  }

  async setDisabled(emailInput: string, disabled: boolean): Promise<PublicUser> {
    const user = await this.#require(emailInput);
    const updated = withoutHash(await this.#update(user.id, (current) => ({ ...current, disabled })));
    if (disabled) await endSessionsOf(this.store, user.id);
    return updated;
  }

  /** Give or take the admin role; the account keeps its sessions, and each admin request checks the role afresh. */
  async setAdmin(reference: string, admin: boolean): Promise<PublicUser> {
    const user = await this.#require(reference);
    return withoutHash(await this.#update(user.id, ({ admin: _old, ...current }) => ({ ...current, ...(admin && { admin: true }) })));
  }

  /** Whether the account signs in with a password here (else only through an identity source). */
  async hasPassword(userId: string): Promise<boolean> {
    return Boolean((await this.store.get<User>(USER, userId))?.value.passwordHash);
  }

  async remove(emailInput: string): Promise<PublicUser> {
    const user = await this.#require(emailInput);
    await this.store.delete(USER, user.id);
    const byEmail = user.email ? await this.store.get<{ userId: string }>(BY_EMAIL, user.email) : undefined;
    if (byEmail?.value.userId === user.id) await this.store.delete(BY_EMAIL, user.email);
    for (const identity of user.identities ?? []) await this.store.delete(BY_IDENTITY, identityKey(identity.source, identity.subject));
    await endSessionsOf(this.store, user.id);
    return withoutHash(user);
  }

  /** An account by email, by account id, or by `<source>:<login>` of a linked identity (`github:octocat`). */
  async resolve(reference: string): Promise<PublicUser> {
    return withoutHash(await this.#require(reference));
  }

  async #require(reference: string): Promise<User> {
    const index = await this.store.get<{ userId: string }>(BY_EMAIL, Accounts.normalizeEmail(reference));
    const record = (index && (await this.store.get<User>(USER, index.value.userId))) || (await this.store.get<User>(USER, reference.trim()));
    if (record) return record.value;
    const [source, login] = reference.trim().split(':');
    const linked =
      source && login
        ? (await this.store.list<User>(USER)).find((r) => r.value.identities?.some((i) => i.source === source && i.username === login))
        : undefined;
    if (!linked) throw new AccountError(`no account for ${Accounts.normalizeEmail(reference)}`);
    return linked.value;
  }
}

/** A new password's rules (length); throws AccountError with the message a form shows. */
export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`passwords must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new AccountError('passwords must be at most 1024 characters');
}

function withoutHash(user: User): PublicUser {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

/** How to name an account to its owner and to operators: its email, else its upstream identity. */
export function accountLabel(user: PublicUser): string {
  if (user.email) return user.email;
  const identity = user.identities?.[0];
  return identity ? `${identity.username ?? identity.subject} (${identity.source})` : user.id;
}
