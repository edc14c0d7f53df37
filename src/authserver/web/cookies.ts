import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import type { CookieOptions } from 'hono/utils/cookie';
import { isHttpsOrLoopback } from '../../resource/urls.js';

/**
 * The rules for every cookie the authorization server sets, its own and oidc-provider's: `__Host-` (so no
 * sibling domain can plant or overwrite one), Secure, HttpOnly, SameSite=Lax, Path=/. Browsers keep Secure
 * cookies on https and on http to loopback; on a plain-http non-loopback issuer (only with
 * `dangerouslyAllowHttpIssuer`) they would drop them, so there the cookies lose Secure and the prefix.
 */
export class CookiePolicy {
  readonly secure: boolean;
  /**
   * Browsers keep cookies per host, not per port or path, and `__Host-` puts them all on `/`: two servers on one
   * host (ports of localhost, an upstream and its client in development, base paths behind one proxy) would
   * overwrite each other's. Each issuer's names carry a tag of their own.
   */
  readonly #tag: string;

  constructor(issuer: string) {
    this.secure = isHttpsOrLoopback(new URL(issuer));
    this.#tag = createHash('sha256').update(issuer).digest('hex').slice(0, 8);
  }

  name(base: string): string {
    return `${this.secure ? '__Host-' : ''}${base}_${this.#tag}`;
  }

  options(maxAgeSeconds?: number): CookieOptions {
    return { path: '/', httpOnly: true, secure: this.secure, sameSite: 'Lax', ...(maxAgeSeconds !== undefined && { maxAge: maxAgeSeconds }) };
  }

  /** oidc-provider's cookie names under this policy. */
  providerNames(): { session: string; interaction: string; resume: string } {
    return { session: this.name('gatehouse_session'), interaction: this.name('gatehouse_interaction'), resume: this.name('gatehouse_resume') };
  }

  /**
   * Make oidc-provider's cookies obey the policy. It scopes its interaction and resume cookies to the flow's
   * path, which `__Host-` forbids, so they are set on `/` (one flow in progress per browser: a second one started
   * in parallel replaces the first). And Koa refuses a Secure cookie on a request it sees as plain http, which a
   * loopback issuer is; browsers keep Secure cookies there, so the jar is told the connection counts as secure.
   */
  applyTo(provider: Provider): void {
    if (!this.secure) return;
    const inherited = findGetter(provider.context, 'cookies');
    const patched = new WeakSet<object>();
    Object.defineProperty(provider.context, 'cookies', {
      configurable: true,
      get(this: object) {
        const jar = inherited.get!.call(this) as CookieJar;
        if (!patched.has(jar)) {
          patched.add(jar);
          jar.secure = true;
          const set = jar.set.bind(jar);
          jar.set = (name, value, options) =>
            set(
              name,
              value,
              name.startsWith('__Host-') ? { ...options, path: '/', domain: undefined, secure: true, httpOnly: true, sameSite: 'lax' } : options,
            );
        }
        return jar;
      },
      set(this: object, value: unknown) {
        inherited.set!.call(this, value);
      },
    });
  }
}

interface CookieJar {
  secure?: boolean;
  set(name: string, value: string | null, options?: Record<string, unknown>): unknown;
}

function findGetter(target: object, property: string): PropertyDescriptor {
  for (let proto: object | null = target; proto; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, property);
    if (descriptor?.get) return descriptor;
  }
  throw new Error(`no ${property} accessor to wrap`);
}
