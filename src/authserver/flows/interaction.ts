import type { Context } from 'hono';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { Accounts } from '../people/accounts.js';
import type { Consents } from '../people/consents.js';
import type { Csrf } from '../web/csrf.js';
import { postedForm } from '../web/forms.js';
import type { LoginThrottle } from '../people/login-throttle.js';
import { seeOther } from '../web/html.js';
import { nodeBindings } from '../web/koa-bridge.js';
import type { ScopeInfo } from '../../resource/auth-mode.js';
import type { RedirectPolicy } from '../clients/redirect-policy.js';
import type { ClientRegistry } from '../clients/registry.js';
import type { Federation } from '../upstream/federation.js';
import type { AuditLog } from '../../audit/audit-log.js';
import type { TrustedProxies } from '../../util/trusted-proxies.js';
import { HttpError, InvalidRequestError } from '../../util/http-error.js';

export interface InteractionDeps {
  provider: Provider;
  accounts: Accounts;
  consents: Consents;
  /** The operator's clients: their names are shown plainly. */
  clients: ClientRegistry;
  csrf: Csrf;
  /** Every scope with its description, for the consent page. */
  scopeInfo: ReadonlyMap<string, ScopeInfo>;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** Upstream identity sources, when people sign in through them. */
  federation?: Federation;
  /** Whether local accounts (email and password) can sign in. */
  localLogin: boolean;
  /** The MCP resource the tools' scopes belong to. */
  resource: string;
  redirectPolicy: RedirectPolicy;
  trustProxy: TrustedProxies;
  origin: string;
  basePath: string;
  logger: Logger;
}

/** One authorization request's interaction, as oidc-provider keeps it. */
export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** This browser's interaction, the one the URL names; throws otherwise. */
export async function interactionOf(c: Context, provider: Provider): Promise<Interaction> {
  const { incoming, outgoing } = nodeBindings(c);
  let found: Interaction;
  try {
    found = await provider.interactionDetails(incoming, outgoing);
  } catch {
    throw new HttpError(400, 'session_expired', 'This sign-in attempt has expired or belongs to another browser. Start again from the app.');
  }
  if (found.uid !== c.req.param('uid')) throw new InvalidRequestError('This sign-in link belongs to another session');
  return found;
}

/** The posted form of one step, checked for its origin and its CSRF token (bound to this interaction). */
export function interactionForm(c: Context, deps: InteractionDeps, interaction: Interaction): Promise<Record<string, string>> {
  return postedForm(c, deps.origin, deps.csrf, `interaction:${interaction.uid}`);
}

/** Hand the step's result to oidc-provider and send the browser on to where the flow continues. */
export async function finishInteraction(
  c: Context,
  provider: Provider,
  interaction: Interaction,
  result: Record<string, unknown>,
  merge: boolean,
): Promise<Response> {
  const login = result['login'] as { accountId: string } | undefined;
  if (login && interaction.session?.accountId && interaction.session.accountId !== login.accountId) await leaveSession(provider, interaction);
  const { incoming, outgoing } = nodeBindings(c);
  const returnTo = await provider.interactionResult(incoming, outgoing, result, { mergeWithLastSubmission: merge });
  return seeOther(returnTo);
}

/**
 * Another person signs in where someone is signed in already: this browser's session becomes theirs. The
 * previous person's session ends here (oidc-provider would send the browser to a logout page we do not serve),
 * and the interaction no longer belongs to it, so the flow continues with a fresh session.
 */
async function leaveSession(provider: Provider, interaction: Interaction): Promise<void> {
  const previous = interaction.session?.uid ? await provider.Session.findByUid(interaction.session.uid) : undefined;
  await previous?.destroy();
  interaction.session = undefined;
  interaction.grantId = undefined;
  await interaction.persist();
}

/** The scopes this authorization asks for: OIDC scopes and the resource scopes, as the consent must list them. */
export function requestedScopes(interaction: Interaction): string[] {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const fromParams = String(interaction.params['scope'] ?? '')
    .split(' ')
    .filter(Boolean);
  const missing = [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()];
  return [...new Set([...fromParams, ...missing])];
}
