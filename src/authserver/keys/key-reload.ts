import type { Logger } from 'pino';
import type { KeySource } from './key-store.js';
import { nextActivation, type KeyMaterial } from './keys.js';

/** What was built from the current key material, and how to stop watching for new material. */
export interface KeyedBuild<T> {
  current(): T;
  /** Build again from the current keys, when something else the build reads has changed (the client policy). */
  rebuild(): void;
  stop(): void;
}

/**
 * Build from the loaded keys, then rebuild when they change: replicas pick up a rotation made by another replica
 * (or the CLI) without a restart, and a published key starts signing once its publication period is over.
 */
export function rebuildOnKeyChange<T>(
  keys: KeySource,
  loaded: { keys: KeyMaterial; version: number },
  build: (material: KeyMaterial) => T,
  everySeconds: number,
  logger: Logger,
): KeyedBuild<T> {
  let built = build(loaded.keys);
  let version = loaded.version;
  let current = loaded.keys;
  /** When a key of the current material, published but not signing yet, is due to start signing. */
  let activation = nextActivation(current);
  const reload = setInterval(async () => {
    try {
      if (activation !== undefined && activation <= Date.now() / 1000) {
        built = build(current);
        activation = nextActivation(current);
        logger.info({ version }, 'a published signing key now signs');
      }
      const now = await keys.version();
      if (now === version) return;
      const fresh = await keys.load();
      built = build(fresh.keys);
      version = fresh.version;
      current = fresh.keys;
      activation = nextActivation(current);
      logger.info({ version }, 'signing keys reloaded');
    } catch (error) {
      logger.warn({ err: error }, 'could not check for rotated keys');
    }
  }, everySeconds * 1000);
  reload.unref();
  return {
    current: () => built,
    rebuild: () => {
      built = build(current);
    },
    stop: () => clearInterval(reload),
  };
}
