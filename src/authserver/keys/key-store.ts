import type { Store } from '../../store/contract/store.js';
import { OperatorError } from '../../util/operator-error.js';
import { Sealer } from '../../util/sealer.js';
import { statSync } from 'node:fs';
import { keysFile, keysFromEnvironment, loadOrCreateKeys, newKeyGeneration, rotated, rotateKeys, type KeyMaterial } from './keys.js';

const KIND = 'Keys';
const ID = 'current';
/** What the sealed keys are bound to (GCM associated data): a sealed value copied to another record does not open. */
const CONTEXT = `${KIND}|${ID}`;

interface StoredKeys {
  /** Increases with every rotation, so replicas can tell they must reload. */
  version: number;
  /** The key material, sealed under GATEHOUSE_SECRET. */
  sealed?: string;
  /** Left by earlier versions, which kept the keys in the clear without a secret: sealed on the next load. */
  plain?: KeyMaterial;
}

/**
 * Where the authorization server's keys live: the environment when given there; the shared store when replicas
 * share one (so every replica signs with the same keys); else the data directory.
 */
export interface KeySource {
  load(): Promise<{ keys: KeyMaterial; version: number }>;
  /** The version in the source now, to notice a rotation made elsewhere. */
  version(): Promise<number>;
  /** Publish a new generation now; it signs after `publicationSeconds` (default 15 minutes). */
  rotate(publicationSeconds?: number): Promise<{ current: string[]; retired: string[]; signsFrom: number }>;
}

export function keySource(options: { dataDir: string; store: Store; inStore: boolean; env?: NodeJS.ProcessEnv }): KeySource {
  const env = options.env ?? process.env;
  const fromEnv = keysFromEnvironment(env);
  if (fromEnv) {
    return {
      load: async () => ({ keys: fromEnv, version: 0 }),
      version: async () => 0,
      rotate: async () => {
        throw new Error('keys come from GATEHOUSE_SIGNING_KEYS; rotate them there');
      },
    };
  }
  if (!options.inStore) {
    // The key file's modification time is its version: a rotation by the CLI is noticed by running servers.
    const version = () => statSync(keysFile(options.dataDir), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    return {
      load: async () => {
        const keys = await loadOrCreateKeys(options.dataDir);
        return { keys, version: version() };
      },
      version: async () => version(),
      rotate: (publicationSeconds) => rotateKeys(options.dataDir, publicationSeconds),
    };
  }
  return storeKeySource(options.store, env['GATEHOUSE_SECRET']);
}

/** Why a shared store cannot hold the keys without a secret to seal them with. */
export const UNSEALED_KEYS_REFUSED =
  'signing and cookie keys kept in a shared store must be sealed: set GATEHOUSE_SECRET (32 characters or more, the same on every replica and for the gatehouse commands)';

function storeKeySource(store: Store, secret: string | undefined): KeySource {
  // Private keys are never written to (nor read from) a shared store in the clear: whoever can read the store
  // would otherwise be able to sign tokens. Checked on use, so commands that never touch the keys still run.
  if (secret && secret.length < 32) {
    throw new OperatorError(`GATEHOUSE_SECRET has ${secret.length} characters; it needs 32 or more: generate one with \`openssl rand -base64 32\``);
  }
  // The record is sealed bound to its place in the store; records sealed by earlier versions (`v1`) still open.
  const sealer = secret ? new Sealer([secret], 'keys', { readV1: true }) : undefined;
  const requireSealer = (): Sealer => {
    if (!sealer) throw new OperatorError(UNSEALED_KEYS_REFUSED);
    return sealer;
  };
  const encode = (keys: KeyMaterial, version: number): StoredKeys => ({ version, sealed: requireSealer().seal(JSON.stringify(keys), CONTEXT) });
  const decode = (stored: StoredKeys): KeyMaterial => {
    if (stored.sealed) return JSON.parse(unsealKeys(requireSealer(), stored.sealed)) as KeyMaterial;
    if (!stored.plain) throw new Error('the keys record in the store is damaged');
    return stored.plain;
  };
  const read = async () => (await store.get<StoredKeys>(KIND, ID))?.value;

  return {
    async load() {
      requireSealer();
      let stored = await read();
      if (!stored) {
        const generation = await newKeyGeneration();
        // Replicas starting together race here; exactly one creates the keys and the others read them.
        await store.setIfAbsent(KIND, ID, encode({ signing: generation.signing, cookies: [generation.cookie] }, 1));
        stored = (await read())!;
      }
      const keys = decode(stored);
      // Keys an earlier version left in the clear are sealed in place (same version: nothing to reload).
      if (stored.plain) await store.set(KIND, ID, encode(keys, stored.version));
      return { keys, version: stored.version };
    },
    async version() {
      return (await read())?.version ?? 0;
    },
    async rotate(publicationSeconds) {
      const { keys, version } = await this.load();
      const { material, current, retired, signsFrom } = await rotated(keys, publicationSeconds);
      await store.set(KIND, ID, encode(material, version + 1));
      return { current, retired, signsFrom };
    },
  };
}

/** The keys record's plaintext; when it does not open, the error says which setting must match. */
function unsealKeys(sealer: Sealer, sealed: string): string {
  try {
    return sealer.unseal(sealed, CONTEXT).plaintext;
  } catch (error) {
    throw new OperatorError(
      `the signing and cookie keys in the store cannot be read (${(error as Error).message}): set GATEHOUSE_SECRET to the secret they were sealed with, the same on every replica and for the gatehouse commands`,
    );
  }
}
