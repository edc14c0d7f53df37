/**
 * Who a client is, as far as the server can tell: what the consent page may say about its name.
 *
 * A `client_name` is a claim. It earns a plain name only when something vouches for it:
 * - the operator made the client (`gatehouse clients add`, the `ClientRegistry`);
 * - it is a preset's name and every redirect URI matches that preset's (the code can only reach that app);
 * - it comes from a Client ID Metadata Document, and is shown with the host that serves the document.
 * Any other name (dynamic registration) is shown as unverified, beside where the code will go.
 */
import { PRESETS, type ClientPreset } from './presets.js';
import { compilePattern } from './redirect-policy.js';

export type ClientSource = 'pre-registered' | 'preset' | 'metadata-document' | 'dynamic';

export interface ClientIdentity {
  name: string;
  source: ClientSource;
  /** Whether the name is vouched for (see the module comment); when false the page marks it unverified. */
  verified: boolean;
  /** Metadata documents: the host serving the document, shown with the name. */
  documentHost?: string;
  /** The preset whose name this client takes without sending codes where that app does. */
  imitates?: ClientPreset;
}

/** The parts of a client this needs (oidc-provider's `Client` has them). */
export interface ClientFacts {
  clientId: string;
  clientName?: string;
  redirectUris?: readonly string[];
}

// Letters from other scripts (and digits) drawn like Latin ones, after lower-casing: Cyrillic, Greek, a few
// IPA letters. Not Unicode's whole confusables table, but the ones that pass for the presets' names.
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'l',
  ї: 'l',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  ɑ: 'a',
  ı: 'l',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'l',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  γ: 'y',
  '0': 'o',
  '1': 'l',
  '3': 'e',
  '5': 's',
  i: 'l',
  '|': 'l',
};

/**
 * A name reduced to what a reader sees: compatibility forms folded (NFKC: full-width, ligatures), case folded,
 * accents dropped, look-alike letters mapped to one Latin letter, and everything but letters and digits
 * (spaces, punctuation, invisible characters) removed. `Claude Code`, `claude-code`, `ＣＬＡＵＤＥ ＣＯＤＥ` and
 * `Сlaude Сode` (Cyrillic С) all become one skeleton.
 */
export function nameSkeleton(name: string): string {
  const folded = name.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '');
  const mapped = [...folded].map((c) => CONFUSABLES[c] ?? c).join('');
  return mapped
    .replace(/[^\p{L}\p{N}]/gu, '')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w');
}

const presetSkeletons = PRESETS.map((preset) => ({
  preset,
  skeletons: new Set([preset.name, preset.displayName, ...(preset.otherNames ?? [])].map(nameSkeleton)),
  matchers: preset.redirectUris.map(compilePattern),
}));

/** The preset whose name (or another name it goes by) this name passes for, if any. */
export function presetNamed(name: string): ClientPreset | undefined {
  const skeleton = nameSkeleton(name);
  if (!skeleton) return undefined;
  return presetSkeletons.find((p) => p.skeletons.has(skeleton))?.preset;
}

/** Whether every one of these redirect URIs is one the preset's app uses. */
export function redirectsMatchPreset(preset: ClientPreset, redirectUris: readonly string[]): boolean {
  const entry = presetSkeletons.find((p) => p.preset === preset);
  if (!entry || redirectUris.length === 0) return false;
  return redirectUris.every((uri) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return false;
    }
    return entry.matchers.some((matches) => matches(uri, url));
  });
}

/** A preset this client's name imitates while its redirect URIs are not that preset's. */
export function imitatedPreset(name: unknown, redirectUris: readonly string[]): ClientPreset | undefined {
  if (typeof name !== 'string') return undefined;
  const preset = presetNamed(name);
  return preset && !redirectsMatchPreset(preset, redirectUris) ? preset : undefined;
}

/** Metadata documents are named by an https URL (draft-ietf-oauth-client-id-metadata-document); other ids never are. */
function documentHost(clientId: string): string | undefined {
  if (!clientId.startsWith('https://')) return undefined;
  try {
    return new URL(clientId).host;
  } catch {
    return undefined;
  }
}

/** What the consent page may say about this client's name; `preRegistered` is true for the operator's clients. */
export function clientIdentity(client: ClientFacts, preRegistered: boolean): ClientIdentity {
  const name = client.clientName?.trim() || client.clientId;
  const redirectUris = client.redirectUris ?? [];
  if (preRegistered) return { name, source: 'pre-registered', verified: true };
  const host = documentHost(client.clientId);
  if (host) return { name, source: 'metadata-document', verified: true, documentHost: host };
  const preset = presetNamed(name);
  if (preset && redirectsMatchPreset(preset, redirectUris)) return { name, source: 'preset', verified: true };
  return { name, source: 'dynamic', verified: false, ...(preset && { imitates: preset }) };
}
