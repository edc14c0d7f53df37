import type { Accounts } from '../people/accounts.js';
import type { UpstreamIdentity, UpstreamSource, UpstreamTokens } from './source.js';

/**
 * Who may sign in through the upstream providers. A person is admitted when any one rule admits them; with
 * none, nobody is. Checked on every upstream sign-in, before anything is stored for the person.
 */
export interface AdmissionPolicy {
  /**
   * People by their identity at the provider: GitHub logins or numeric user ids, OpenID subjects (`sub`), or
   * emails (matched only when the provider says they are verified). `<source>:<value>` (`github:583231`)
   * limits an entry to one provider. GitHub ids never change; a login can be renamed and then taken by someone else.
   */
  users?: readonly string[];
  /** Members of these GitHub organisations (by login). Needs the `read:org` scope. */
  githubOrgs?: readonly string[];
  /** Members of these GitHub teams, as `<org>/<team-slug>`. Needs the `read:org` scope. */
  githubTeams?: readonly string[];
  /** Google Workspace accounts of these domains (the ID token's `hd` claim, not the email's domain). */
  hostedDomains?: readonly string[];
  /** Microsoft Entra accounts signed in to these tenants (the ID token's `tid` claim). */
  tenants?: readonly string[];
  /** People whose email, verified by the provider, is at one of these domains (exactly; subdomains are not included). */
  emailDomains?: readonly string[];
  /**
   * People who already have an account here (invitation only): an identity already linked to one, or, with
   * `linkByVerifiedEmail`, a verified email an account already has. No account is ever created.
   */
  existingAccounts?: boolean;
  /** Whom a refused person should ask for access (an email address, a team), shown on the refusal page. */
  contact?: string;
}

/** Every rule of the policy, as the options and flags that name them. */
export const ADMISSION_RULES = ['users', 'githubOrgs', 'githubTeams', 'hostedDomains', 'tenants', 'emailDomains', 'existingAccounts'] as const;

const MEMBERSHIP_SCOPES = ['read:org', 'write:org', 'admin:org'];

export interface AdmissionOptions {
  admit?: AdmissionPolicy;
  dangerouslyAllowAnyUpstreamAccount?: boolean;
}

/**
 * The admission rules for these upstreams, checked at start-up: a server that signs people in upstream must say
 * whom it admits, or say in so many words that it admits anyone. Returns undefined for "anyone".
 */
export function admissionPolicy(options: AdmissionOptions, upstreams: readonly UpstreamSource[]): AdmissionPolicy | undefined {
  const policy = options.admit;
  const rules = policy
    ? ADMISSION_RULES.filter((rule) => (rule === 'existingAccounts' ? policy.existingAccounts === true : (policy[rule]?.length ?? 0) > 0))
    : [];
  if (options.dangerouslyAllowAnyUpstreamAccount) {
    if (rules.length) throw new Error('choose an admission policy (admit) or dangerouslyAllowAnyUpstreamAccount, not both');
    return undefined;
  }
  if (!policy || rules.length === 0) {
    throw new Error(
      `signing in through ${upstreams.map((u) => u.label).join(', ')} admits nobody until you say whom: set admit.${ADMISSION_RULES.join(', admit.')} ` +
        '(or dangerouslyAllowAnyUpstreamAccount to let anyone with an account there in)',
    );
  }
  if (policy.githubTeams?.some((team) => !/^[^/\s]+\/[^/\s]+$/.test(team)))
    throw new Error('admit.githubTeams entries are <org>/<team-slug>, e.g. acme/platform');
  if (policy.githubOrgs?.length || policy.githubTeams?.length) {
    const members = upstreams.filter((u) => u.memberships);
    if (members.length === 0) throw new Error('admit.githubOrgs and admit.githubTeams need a GitHub upstream');
    for (const source of members) {
      if (!source.scopes?.some((s) => MEMBERSHIP_SCOPES.includes(s))) {
        throw new Error(
          `admission by GitHub organisation or team needs the read:org scope: add it to the scopes of ${source.label} (e.g. scopes: ['read:user', 'user:email', 'read:org'])`,
        );
      }
    }
  }
  return policy;
}

/** What admission needs to look up about existing accounts. */
export type AccountLookup = Pick<Accounts, 'findByIdentity' | 'findByEmail'>;

/** Whether the policy admits this person, who just signed in at `source`. */
export async function admits(
  policy: AdmissionPolicy,
  signIn: { source: UpstreamSource; identity: UpstreamIdentity; tokens: UpstreamTokens },
  context: { accounts: AccountLookup; linkByVerifiedEmail: boolean; sourceNames: ReadonlySet<string> },
): Promise<boolean> {
  const { source, identity, tokens } = signIn;
  const verifiedEmail = identity.emailVerified && identity.email ? identity.email.trim().toLowerCase() : undefined;
  const same = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

  for (const entry of policy.users ?? []) {
    const colon = entry.indexOf(':');
    const named = colon > 0 && context.sourceNames.has(entry.slice(0, colon)) ? entry.slice(0, colon) : undefined;
    // An entry for another source (`github:…` at a `google` sign-in) says nothing about this one.
    if (named !== undefined && named !== source.name) continue;
    const value = named === undefined ? entry : entry.slice(colon + 1);
    if (value.includes('@') ? same(verifiedEmail, value) : value === identity.subject || (source.uniqueUsernames === true && same(identity.username, value)))
      return true;
  }
  const domain = verifiedEmail?.slice(verifiedEmail.lastIndexOf('@') + 1);
  if (policy.emailDomains?.some((d) => same(domain, d.replace(/^@/, '')))) return true;
  if (policy.hostedDomains?.some((d) => same(identity.hostedDomain, d))) return true;
  if (policy.tenants?.some((t) => same(identity.tenant, t))) return true;
  if ((policy.githubOrgs?.length || policy.githubTeams?.length) && source.memberships) {
    const { organizations, teams } = await source.memberships(tokens);
    if (policy.githubOrgs?.some((org) => organizations.some((o) => same(o, org)))) return true;
    if (policy.githubTeams?.some((team) => teams.some((t) => same(t, team)))) return true;
  }
  if (policy.existingAccounts) {
    if (await context.accounts.findByIdentity(source.name, identity.subject)) return true;
    if (context.linkByVerifiedEmail && verifiedEmail && (await context.accounts.findByEmail(verifiedEmail))) return true;
  }
  return false;
}
