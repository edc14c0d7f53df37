import type { AuditLog } from '../../audit/audit-log.js';
import type { Acting } from '../people/people-admin.js';
import type { KeySource } from './key-store.js';

/** Rotate the signing keys and record it: what `gatehouse keys rotate` and the admin console both do. */
export async function rotateSigningKeys(keys: KeySource, audit: AuditLog, acting: Acting, publicationSeconds?: number) {
  const result = await keys.rotate(publicationSeconds);
  await audit.record({
    type: 'keys.rotated',
    actor: acting.actor,
    reason: `${acting.via}: new ${result.current.join(', ')}; signs from ${new Date(result.signsFrom * 1000).toISOString()}`,
  });
  return result;
}
