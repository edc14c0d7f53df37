import type { Context, Hono } from 'hono';
import type Provider from 'oidc-provider';
import type { Logger } from 'pino';
import { accountLabel, type Accounts } from '../people/accounts.js';
import { consentCovers, withApproval, type Consents } from '../people/consents.js';
import { clientAddress } from '../../util/client-address.js';
import type { Csrf } from '../web/csrf.js';
import { postedForm } from '../web/forms.js';
import type { LoginThrottle } from '../people/login-throttle.js';
import { isSignInRefusal, passwordSignIn } from './password-sign-in.js';
import { pageResponse, seeOther, withRetryAfter } from '../web/html.js';
import { nodeBindings } from '../web/koa-bridge.js';
import { consentPage, federatedLoginPage, loginPage, notAdmittedPage, type ConsentView } from '../pages/views.js';
import type { ScopeInfo } from '../../resource/auth-mode.js';
import { checkRedirectUri, type RedirectPolicy } from '../clients/redirect-policy.js';
import { clientIdentity, type ClientIdentity } from '../clients/client-identity.js';
import { describeRedirect } from '../clients/redirect-destination.js';
import type { ClientRegistry } from '../clients/registry.js';
import { OIDC_SCOPES } from '../engine/provider.js';
import { isLoopbackHost } from '../../resource/urls.js';
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

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

const OIDC_SCOPE_NAMES = new Set(OIDC_SCOPES.map((s) => s.name));

/**
 * The login and consent steps of the authorization flow (oidc-provider "interactions"): plain HTML forms,
 * each bound to the browser that started the flow (oidc-provider's interaction cookie) and to a CSRF token.
 */
export function mountInteractions(app: Hono, deps: InteractionDeps): void {
  const { provider, csrf } = deps;
  const signIn = passwordSignIn(deps);
  const path = `${deps.basePath}/interaction/:uid`;

  /** This browser's interaction, the one the URL names; throws otherwise. */
  const details = async (c: Context): Promise<Details> => {
    const { incoming, outgoing } = nodeBindings(c);
    let found: Details;
    try {
      found = await provider.interactionDetails(incoming, outgoing);
    } catch {
      throw new HttpError(400, 'session_expired', 'This sign-in attempt has expired or belongs to another browser. Start again from the app.');
    }
    if (found.uid !== c.req.param('uid')) throw new InvalidRequestError('This sign-in link belongs to another session');
    return found;
  };

  const finish = async (c: Context, interaction: Details, result: Record<string, unknown>, merge: boolean): Promise<Response> => {
    const login = result['login'] as { accountId: string } | undefined;
    if (login && interaction.session?.accountId && interaction.session.accountId !== login.accountId) await leaveSession(interaction);
    const { incoming, outgoing } = nodeBindings(c);
    const returnTo = await provider.interactionResult(incoming, outgoing, result, { mergeWithLastSubmission: merge });
    return seeOther(returnTo);
  };

  const checkPost = (c: Context, interaction: Details) => postedForm(c, deps.origin, csrf, `interaction:${interaction.uid}`);

  app.get(path, async (c) => {
    const interaction = await details(c);
    if (interaction.prompt.name === 'login') return renderLogin(c, interaction);
    if (interaction.prompt.name === 'consent') return consentStep(c, interaction);
    throw new HttpError(400, 'unsupported', `Unsupported step "${interaction.prompt.name}"`);
  });

  app.post(`${path}/login`, async (c) => {
    const interaction = await details(c);
    const form = await checkPost(c, interaction);
    if (interaction.prompt.name !== 'login') return seeOther(`${deps.basePath}/interaction/${interaction.uid}`);
    if (!deps.localLogin) throw new InvalidRequestError('Sign in with one of the offered providers');
    const address = clientAddress(c, deps.trustProxy) ?? 'unknown';
    const clientId = String(interaction.params['client_id']);
    try {
      const user = await signIn({ email: form['email'] ?? '', password: form['password'] ?? '', address, clientId });
      return finish(c, interaction, { login: { accountId: user.id } }, false);
    } catch (error) {
      if (!isSignInRefusal(error)) throw error;
      return withRetryAfter(await renderLogin(c, interaction, error.description, form['email'], error.status), error);
    }
  });

  app.post(`${path}/consent`, async (c) => {
    const interaction = await details(c);
    const form = await checkPost(c, interaction);
    if (interaction.prompt.name !== 'consent') return seeOther(`${deps.basePath}/interaction/${interaction.uid}`);
    if (form['decision'] !== 'allow') {
      await deps.audit.record({
        type: 'consent.denied',
        subject: interaction.session?.accountId,
        clientId: String(interaction.params['client_id']),
        outcome: 'denied',
      });
      return finish(c, interaction, { error: 'access_denied', error_description: 'The user did not allow access' }, false);
    }
    return approve(c, interaction);
  });

  // Consent comes before the upstream redirect: approving here is what starts the upstream sign-in.
  app.post(`${path}/upstream`, async (c) => {
    const interaction = await details(c);
    const form = await checkPost(c, interaction);
    if (interaction.prompt.name !== 'login' || !deps.federation) return seeOther(`${deps.basePath}/interaction/${interaction.uid}`);
    const clientId = String(interaction.params['client_id']);
    if (form['decision'] === 'deny') {
      await deps.audit.record({ type: 'consent.denied', clientId, outcome: 'denied', reason: 'before sign-in' });
      return finish(c, interaction, { error: 'access_denied', error_description: 'The user did not allow access' }, false);
    }
    // From the refusal page: the app learns that this server did not admit the person (recorded at the refusal).
    if (form['decision'] === 'refused')
      return finish(c, interaction, { error: 'access_denied', error_description: 'The account used to sign in is not admitted by this server' }, false);
    const resource = typeof interaction.params['resource'] === 'string' ? interaction.params['resource'] : undefined;
    const purpose = { kind: 'authorization' as const, uid: interaction.uid, clientId, scopes: requestedScopes(interaction), ...(resource && { resource }) };
    return deps.federation.start(c, purpose, form['source'] ?? '');
  });

  // Back from the provider (the callback checked the consent binding): finish in the browser that started.
  app.get(`${path}/upstream`, async (c) => {
    const interaction = await details(c);
    const outcome = await deps.federation?.takeOutcome(interaction.uid);
    const clientId = String(interaction.params['client_id']);
    if (!outcome || outcome.clientId !== clientId) throw new InvalidRequestError('This sign-in has expired. Start again from the app.');
    if ('error' in outcome && outcome.refused) {
      // The person sees why; the app hears access_denied only if they go back to it.
      const back = { action: `${deps.basePath}/interaction/${interaction.uid}/upstream`, csrf: csrf.token(c, `interaction:${interaction.uid}`) };
      return pageResponse(notAdmittedPage({ ...outcome.refused, back }), 403);
    }
    if ('error' in outcome) {
      // The error goes back to the app only if its redirect URI still passes the policy.
      const client = await provider.Client.find(clientId);
      const redirectUri = String(interaction.params['redirect_uri'] ?? '');
      if (!client || !checkRedirectUri(redirectUri, deps.redirectPolicy, client.applicationType as 'web' | 'native').ok) {
        throw new HttpError(400, outcome.error, outcome.errorDescription ?? '');
      }
      return finish(c, interaction, { error: outcome.error, error_description: outcome.errorDescription }, false);
    }
    const grantId = await saveConsent(outcome.accountId, clientId, outcome.scopes, interaction);
    return finish(c, interaction, { login: { accountId: outcome.accountId, amr: [outcome.source] }, consent: { grantId } }, false);
  });

  /**
   * Another person signs in where someone is signed in already: this browser's session becomes theirs. The
   * previous person's session ends here (oidc-provider would send the browser to a logout page we do not serve),
   * and the interaction no longer belongs to it, so the flow continues with a fresh session.
   */
  async function leaveSession(interaction: Details): Promise<void> {
    const previous = interaction.session?.uid ? await provider.Session.findByUid(interaction.session.uid) : undefined;
    await previous?.destroy();
    interaction.session = undefined;
    interaction.grantId = undefined;
    await interaction.persist();
  }

  async function renderLogin(c: Context, interaction: Details, error?: string, email?: string, status = 200): Promise<Response> {
    if (deps.federation) {
      const view = await consentView(c, interaction, '');
      return pageResponse(
        federatedLoginPage({
          ...view,
          action: `${deps.basePath}/interaction/${interaction.uid}/upstream`,
          sources: [...deps.federation.sources.values()].map((s) => ({ name: s.name, label: s.label })),
          ...(deps.localLogin && { localLogin: { action: `${deps.basePath}/interaction/${interaction.uid}/login`, error, email } }),
        }),
        status,
      );
    }
    return pageResponse(
      loginPage({
        action: `${deps.basePath}/interaction/${interaction.uid}/login`,
        csrf: csrf.token(c, `interaction:${interaction.uid}`),
        client: await identityOf(String(interaction.params['client_id'])),
        error,
        email,
      }),
      status,
    );
  }

  /**
   * Show the consent page, unless this person already approved this client for everything it asks and for this
   * exact redirect URI (another URI, or another loopback port, is another destination). `prompt=consent` always asks.
   */
  async function consentStep(c: Context, interaction: Details): Promise<Response> {
    const accountId = interaction.session?.accountId;
    const clientId = String(interaction.params['client_id']);
    if (!accountId) throw new HttpError(400, 'login_required', 'Sign in first');
    const requested = requestedScopes(interaction);
    const remembered = await deps.consents.find(accountId, clientId);
    const asked = interaction.prompt.reasons.includes('consent_prompt');
    if (!asked && consentCovers(remembered, String(interaction.params['redirect_uri'] ?? ''), requested)) {
      const grant = await provider.Grant.find(remembered!.grantId);
      if (grant) return approve(c, interaction);
    }
    const user = await deps.accounts.findById(accountId);
    const view = await consentView(c, interaction, user ? accountLabel(user) : accountId);
    return pageResponse(consentPage({ ...view, switchAccount: switchAccountUrl(interaction) }));
  }

  /** What a consent page shows about the app asking: who it is, where it sends the browser, what it may do. */
  async function consentView(c: Context, interaction: Details, email: string): Promise<ConsentView> {
    const clientId = String(interaction.params['client_id']);
    const client = await provider.Client.find(clientId);
    const redirectUri = String(interaction.params['redirect_uri'] ?? client?.redirectUris?.[0] ?? '');
    return {
      action: `${deps.basePath}/interaction/${interaction.uid}/consent`,
      csrf: csrf.token(c, `interaction:${interaction.uid}`),
      client: await identityOf(clientId),
      clientId,
      destination: describeRedirect(redirectUri),
      localhostOnly: (client?.redirectUris ?? [redirectUri]).every((u) => isLoopbackHost(hostnameOf(u))),
      metadataDocument: clientId.startsWith('https://') ? clientId : undefined,
      scopes: requestedScopes(interaction).map((name) => deps.scopeInfo.get(name) ?? { name, description: name }),
      email,
    };
  }

  /** What the pages may say about the client's name (a claim unless something vouches for it). */
  async function identityOf(clientId: string): Promise<ClientIdentity> {
    const client = await provider.Client.find(clientId);
    const preRegistered = (await deps.clients.find(clientId)) !== undefined;
    return clientIdentity({ clientId, clientName: client?.clientName, redirectUris: client?.redirectUris }, preRegistered);
  }

  /** Record the approval in a grant (reusing the remembered one), remember the consent, and continue the flow. */
  async function approve(c: Context, interaction: Details): Promise<Response> {
    const grantId = await saveConsent(interaction.session!.accountId, String(interaction.params['client_id']), requestedScopes(interaction), interaction);
    return finish(c, interaction, { consent: { grantId } }, true);
  }

  /** Put the approved scopes in this person's grant for this client (reusing the remembered one) and remember the consent. */
  async function saveConsent(accountId: string, clientId: string, approved: string[], interaction: Details): Promise<string> {
    const remembered = await deps.consents.find(accountId, clientId);
    // The browser session's grant is another person's when someone else just signed in here: never add to it.
    const sessionGrant = interaction.session?.accountId === accountId ? interaction.grantId : undefined;
    const candidate = sessionGrant ?? remembered?.grantId;
    const found = candidate ? await provider.Grant.find(candidate) : undefined;
    const grant = found && found.accountId === accountId && found.clientId === clientId ? found : new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    // The consent prompt lists what is missing; an approval given before sign-in (federated) has only the list.
    // oidc-provider checks the tools' scopes both as requested scopes and as scopes of the resource.
    const known = approved.filter((s) => deps.scopeInfo.has(s));
    const oidcScopes = [...new Set([...(missingOIDCScope ?? []), ...known])];
    if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
    if (missingOIDCClaims?.length) grant.addOIDCClaims(missingOIDCClaims);
    const resourceScopes = known.filter((s) => !OIDC_SCOPE_NAMES.has(s));
    if (resourceScopes.length) grant.addResourceScope(deps.resource, resourceScopes.join(' '));
    for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    const client = await provider.Client.find(clientId);
    const scopes = [...new Set([...(remembered?.scopes ?? []), ...approved])];
    // What the page showed: this redirect URI, exactly. Approvals under another grant no longer hold.
    const earlier = remembered?.grantId === grantId ? remembered.approvals : undefined;
    const redirectUri = String(interaction.params['redirect_uri'] ?? '');
    await deps.consents.remember({
      userId: accountId,
      clientId,
      clientName: client?.clientName ?? clientId,
      scopes,
      approvals: withApproval(earlier, { redirectUri, scopes: approved }),
      grantId,
      grantedAt: remembered?.grantedAt ?? Date.now(),
      lastUsedAt: remembered?.lastUsedAt,
    });
    await deps.audit.record({ type: 'consent.granted', subject: accountId, clientId, grantId, reason: scopes.join(' ') });
    return grantId;
  }
}

/**
 * The same authorization request with `prompt=login`: the way to sign in as someone else from a consent page
 * (a plain link, it changes nothing until the person signs in).
 */
function switchAccountUrl(interaction: Details): string {
  const url = new URL(interaction.returnTo);
  url.pathname = url.pathname.replace(/\/auth\/[^/]+$/, '/auth');
  url.search = '';
  for (const [name, value] of Object.entries(interaction.params)) if (typeof value === 'string') url.searchParams.set(name, value);
  url.searchParams.set('prompt', 'login');
  return `${url.pathname}${url.search}`;
}

/** The scopes this authorization asks for: OIDC scopes and the resource scopes, as the consent must list them. */
function requestedScopes(interaction: Details): string[] {
  const details = interaction.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  const fromParams = String(interaction.params['scope'] ?? '')
    .split(' ')
    .filter(Boolean);
  const missing = [...(details.missingOIDCScope ?? []), ...Object.values(details.missingResourceScopes ?? {}).flat()];
  return [...new Set([...fromParams, ...missing])];
}

function hostnameOf(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return '';
  }
}
