import { isSharedStoreUrl, openStore } from '../../store/index.js';
import type { Store } from '../../store/contract/store.js';
import { defaultStoreUrl, EMBEDDED_DEFAULTS } from './defaults.js';
import { keySource, type KeySource } from '../keys/key-store.js';

export interface EmbeddedDataOptions {
  /** Where keys and the SQLite database live. */
  dataDir?: string;
  /** A store, or its URL (default: the SQLite database in the data directory). */
  store?: Store | string;
  /** Namespace in a shared store: the Redis key prefix, the PostgreSQL schema. */
  storePrefix?: string;
  /** Keep signing keys in the store instead of the data directory. Default: with Redis or PostgreSQL, so replicas share them. */
  keysInStore?: boolean;
}

export interface EmbeddedData {
  store: Store;
  keys: KeySource;
  /** Whether the store was opened here from a URL (and so is the opener's to close). */
  opened: boolean;
}

/**
 * Open the embedded authorization server's data: its store and where its signing keys are kept. One function
 * for the running server and for the CLI commands that work on the same data, so both always find the same place.
 */
export async function openEmbeddedData(options: EmbeddedDataOptions): Promise<EmbeddedData> {
  const dataDir = options.dataDir ?? EMBEDDED_DEFAULTS.dataDir;
  if (typeof options.store === 'object') {
    return { store: options.store, keys: keySource({ dataDir, store: options.store, inStore: options.keysInStore ?? false }), opened: false };
  }
  const storeUrl = options.store ?? defaultStoreUrl(dataDir);
  const store = await openStore(storeUrl, { prefix: options.storePrefix });
  try {
    return { store, keys: keySource({ dataDir, store, inStore: options.keysInStore ?? isSharedStoreUrl(storeUrl) }), opened: true };
  } catch (error) {
    // A secret that cannot seal is refused here; the connection just opened would keep the process alive.
    await store.close();
    throw error;
  }
}
