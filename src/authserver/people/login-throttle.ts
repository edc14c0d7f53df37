import type { Store } from '../../store/contract/store.js';
import { Accounts } from './accounts.js';

const DELAY = 'LoginDelay';
/** Failed sign-ins an account may have before each further one makes the next wait. */
const FREE_FAILURES = 3;
const MAX_DELAY_SECONDS = 900;

/**
 * Password guessing limits, counted in the store (so replicas share them): a growing delay after repeated
 * failures for one account (2 s, 4 s, 8 s… up to 15 minutes), and a cap on attempts per account and per client
 * address in a window. Checked before the password is, so a blocked guess costs no hashing.
 */
export class LoginThrottle {
  constructor(
    private readonly store: Store,
    private readonly limits = { perAccount: 20, perAddress: 100, windowSeconds: 900 },
  ) {}

  /** Count an attempt; `undefined` when it may proceed, else the seconds to wait. */
  async attempt(email: string, address: string): Promise<number | undefined> {
    const key = Accounts.normalizeEmail(email);
    const delayed = await this.store.get<{ until: number }>(DELAY, key);
    if (delayed && delayed.value.until > Date.now()) return Math.ceil((delayed.value.until - Date.now()) / 1000);
    const { windowSeconds } = this.limits;
    const [account, source] = await Promise.all([
      this.store.increment(`login-account:${key}`, windowSeconds),
      this.store.increment(`login-address:${address}`, windowSeconds),
    ]);
    const over = [account.count > this.limits.perAccount ? account.resetInMs : 0, source.count > this.limits.perAddress ? source.resetInMs : 0];
    const wait = Math.max(...over);
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : undefined;
  }

  /** A wrong password for this account: from the fourth failure on, the next attempt has to wait, twice as long each time. */
  async failed(email: string): Promise<void> {
    const key = Accounts.normalizeEmail(email);
    const { count } = await this.store.increment(`login-failures:${key}`, this.limits.windowSeconds);
    if (count <= FREE_FAILURES) return;
    const seconds = Math.min(2 ** (count - FREE_FAILURES), MAX_DELAY_SECONDS);
    await this.store.set(DELAY, key, { until: Date.now() + seconds * 1000 }, seconds);
  }

  /** The right password: no delay for the next sign-in. */
  async succeeded(email: string): Promise<void> {
    await this.store.delete(DELAY, Accounts.normalizeEmail(email));
  }
}

export function tooManyAttemptsMessage(seconds: number): string {
  if (seconds < 60) return `Too many failed sign-in attempts. Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
  const minutes = Math.ceil(seconds / 60);
  return `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}
