import type { Store } from '../store/store.js';
import { Accounts } from './accounts.js';

/**
 * Password guessing limits, counted in the store (so replicas share them): sign-in attempts per account and
 * per client address in a window. Checked before the password is, so a blocked guess costs no hashing.
 */
export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly limits = { perAccount: 20, perAddress: 100, windowSeconds: 900 },
  ) {}

  /** Count an attempt; `undefined` when it may proceed, else the seconds to wait. */
  async attempt(email: string, address: string): Promise<number | undefined> {
    const { windowSeconds } = this.limits;
    const [account, source] = await Promise.all([
      this.store.increment(`login-account:${Accounts.normalizeEmail(email)}`, windowSeconds),
      this.store.increment(`login-address:${address}`, windowSeconds),
    ]);
    const over = [
      account.count > this.limits.perAccount ? account.resetInMs : 0,
      source.count > this.limits.perAddress ? source.resetInMs : 0,
    ];
    const wait = Math.max(...over);
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : undefined;
  }
}

export function tooManyAttemptsMessage(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  return `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}
