import { randomUUID } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';
import type { Store } from '../store/store.js';

/** argon2id with the OWASP-recommended minimum cost: 19 MiB memory, 2 iterations, 1 lane. */
export const ARGON2_PARAMS = { algorithm: Algorithm.Argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
export const MIN_PASSWORD_LENGTH = 10;

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
}

export type PublicUser = Omit<User, 'passwordHash'>;

const USER = 'User';
const BY_EMAIL = 'UserByEmail';
const EMAIL = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;

export class AccountError extends Error {
  override readonly name = 'AccountError';
}

/** Local accounts: email + argon2id password hash, kept in the store. */
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

  async create(emailInput: string, password: string): Promise<PublicUser> {
    const email = Accounts.normalizeEmail(emailInput);
    if (!EMAIL.test(email) || email.length > 254) throw new AccountError(`"${emailInput}" is not a valid email address`);
    checkPassword(password);
    if (await this.store.get(BY_EMAIL, email)) throw new AccountError(`an account for ${email} already exists`);
    const user: User = { id: randomUUID(), email, passwordHash: await hash(password, ARGON2_PARAMS), disabled: false, createdAt: Date.now() };
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

  /** The account for these credentials, or undefined (unknown email, wrong password, or disabled). */
  async authenticate(emailInput: string, password: string): Promise<PublicUser | undefined> {
    const index = await this.store.get<{ userId: string }>(BY_EMAIL, Accounts.normalizeEmail(emailInput));
    const record = index ? await this.store.get<User>(USER, index.value.userId) : undefined;
    if (!record) {
      this.#decoy ??= hash(randomUUID(), ARGON2_PARAMS);
      await verify(await this.#decoy, password).catch(() => false);
      return undefined;
    }
    const ok = await verify(record.value.passwordHash, password).catch(() => false);
    return ok && !record.value.disabled ? withoutHash(record.value) : undefined;
  }

  async list(): Promise<PublicUser[]> {
    return (await this.store.list<User>(USER)).map((r) => withoutHash(r.value)).sort((a, b) => a.createdAt - b.createdAt);
  }

  async setPassword(emailInput: string, password: string): Promise<void> {
    checkPassword(password);
    const user = await this.#require(emailInput);
    await this.store.set(USER, user.id, { ...user, passwordHash: await hash(password, ARGON2_PARAMS) });
  }

  async setDisabled(emailInput: string, disabled: boolean): Promise<PublicUser> {
    const user = await this.#require(emailInput);
    const updated = { ...user, disabled };
    await this.store.set(USER, user.id, updated);
    return withoutHash(updated);
  }

  async remove(emailInput: string): Promise<PublicUser> {
    const user = await this.#require(emailInput);
    await this.store.delete(USER, user.id);
    await this.store.delete(BY_EMAIL, user.email);
    return withoutHash(user);
  }

  async #require(emailInput: string): Promise<User> {
    const index = await this.store.get<{ userId: string }>(BY_EMAIL, Accounts.normalizeEmail(emailInput));
    const record = index ? await this.store.get<User>(USER, index.value.userId) : undefined;
    if (!record) throw new AccountError(`no account for ${Accounts.normalizeEmail(emailInput)}`);
    return record.value;
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new AccountError(`passwords must be at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new AccountError('passwords must be at most 1024 characters');
}

function withoutHash(user: User): PublicUser {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}
