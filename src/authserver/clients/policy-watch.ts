import type { Logger } from 'pino';
import type { ClientPolicyStore } from './stored-client-policy.js';

/** Check the stored client policy every few seconds: a change made on another replica applies here without a restart. */
export function watchClientPolicy(policy: ClientPolicyStore, changed: () => void, everySeconds: number, logger: Logger): NodeJS.Timeout {
  const timer = setInterval(async () => {
    try {
      if (await policy.refresh()) {
        changed();
        logger.info('client policy changed in the admin console: applied');
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not check the client policy');
    }
  }, everySeconds * 1000);
  timer.unref();
  return timer;
}
