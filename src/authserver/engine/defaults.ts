import { join } from 'node:path';
import { DEFAULT_AUDIT_RETENTION_DAYS } from '../../audit/audit-log.js';

/**
 * The defaults `embedded()` and `federated()` apply to options left out. Written here once: the CLI's
 * settings table reads them from this file rather than repeating them.
 */
export const EMBEDDED_DEFAULTS = {
  dataDir: '.gatehouse',
  dynamicRegistration: true,
  clientMetadataDocuments: true,
  authorizationRequestsPerMinute: 30,
  registrationsPerHour: 20,
  tokenRequestsPerMinute: 120,
  introspectionRequestsPerMinute: 1200,
  accessTokenTtlSeconds: 600,
  refreshTokenTtlSeconds: 30 * 86_400,
  auditRetentionDays: DEFAULT_AUDIT_RETENTION_DAYS,
} as const;

/** The store used when none is named: the SQLite database in the data directory. */
export function defaultStoreUrl(dataDir: string): string {
  return `sqlite:${join(dataDir, 'gatehouse.db')}`;
}
