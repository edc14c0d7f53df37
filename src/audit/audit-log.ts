import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../store/contract/store.js';

/** Every kind of security-relevant event Gatehouse records. */
export const AUDIT_EVENTS = [
  'login.succeeded',
  'login.failed',
  'login.throttled',
  'setup.completed',
  'consent.granted',
  'consent.denied',
  'consent.revoked',
  'client.registered',
  'client.removed',
  'client.secret_rotated',
  'token.issued',
  'token.refreshed',
  'token.revoked',
  'token.exchanged',
  'token.exchange_refused',
  'grant.reuse_detected',
  'assertion.accepted',
  'assertion.refused',
  'tool.called',
  'account.created',
  'account.changed',
  'account.removed',
  'account.reset_link',
  'account.password_reset',
  'client.policy_changed',
  'keys.rotated',
  'audit.exported',
] as const;

export type AuditEventType = (typeof AUDIT_EVENTS)[number];

/**
 * One entry of the audit trail. Identifiers only: account ids, client ids, grant ids, tool names — never a
 * token, code, secret or password (where a credential must be pointed at, a short hash prefix stands for it).
 */
export interface AuditEvent {
  id: string;
  /** Milliseconds since the epoch. */
  at: number;
  type: AuditEventType;
  /** The account the event is about (or who acted). */
  subject?: string;
  /** The admin who acted, when an admin changed something in the console about someone or something else. */
  actor?: string;
  clientId?: string;
  grantId?: string;
  /** How the person signed in: `password` or an identity source (`github`…). */
  method?: string;
  tool?: string;
  outcome?: 'success' | 'failure' | 'denied';
  durationMs?: number;
  /** The client's network address, where the event came over HTTP. */
  address?: string;
  /** A short, non-secret explanation (`wrong password`, `refresh token reused`, `cli`…). */
  reason?: string;
}

export type AuditInput = Omit<AuditEvent, 'id' | 'at'>;

export interface AuditFilter {
  subject?: string;
  clientId?: string;
  type?: AuditEventType | string;
  /** Only events at or after this time (ms). */
  since?: number;
  /** Newest first, at most this many. Default 100. */
  limit?: number;
}

/** Where events go: the stored trail, or (without a store of the mode's own) the log alone. */
export interface AuditRecorder {
  record(input: AuditInput): Promise<void>;
}

/** Resource mode keeps no data of its own: its events (tool calls) go to the structured log only. */
export function logOnlyAudit(logger: Logger): AuditRecorder {
  return {
    async record(input) {
      if (logger.isLevelEnabled('info')) logger.info({ audit: { at: Date.now(), ...withoutUndefined(input) } }, `audit ${input.type}`);
    },
  };
}

const KIND = 'Audit';
const bySubject = (subject: string) => `audit:${subject}`;

/** How long audit events are kept unless configured otherwise. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

/**
 * The append-only audit trail: each event is written once to the store (kept for the retention period, shared by
 * replicas) and emitted as a structured log line (`"audit": {…}`) for log pipelines. Recording never fails the
 * request it describes: a store error is logged and the request goes on.
 */
export class AuditLog implements AuditRecorder {
  readonly #ttlSeconds: number;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    retentionDays = DEFAULT_AUDIT_RETENTION_DAYS,
  ) {
    this.#ttlSeconds = Math.round(retentionDays * 86_400);
  }

  async record(input: AuditInput): Promise<void> {
    const at = Date.now();
    // Time first, so ids sort in the order events happened; random after, so replicas never collide.
    const event: AuditEvent = { id: `${at.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`, at, ...withoutUndefined(input) };
    this.logger.info({ audit: event }, `audit ${event.type}`);
    try {
      await Promise.all([
        this.store.set(KIND, event.id, event, this.#ttlSeconds),
        event.subject && this.store.addToGroup(bySubject(event.subject), event.id, this.#ttlSeconds),
      ]);
    } catch (error) {
      this.logger.warn({ err: error, event: event.type }, 'audit event not stored');
    }
  }

  /** Events matching the filter, newest first. */
  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    const events = filter.subject
      ? await this.#events(await this.store.members(bySubject(filter.subject)))
      : (await this.store.list<AuditEvent>(KIND)).map((r) => r.value);
    return events
      .filter((e) => (!filter.subject || e.subject === filter.subject) && (!filter.clientId || e.clientId === filter.clientId))
      .filter((e) => (!filter.type || e.type === filter.type || e.type.startsWith(`${filter.type}.`)) && (!filter.since || e.at >= filter.since))
      .sort((a, b) => (a.id < b.id ? 1 : -1))
      .slice(0, filter.limit ?? 100);
  }

  async #events(ids: string[]): Promise<AuditEvent[]> {
    const records = await Promise.all(ids.map((id) => this.store.get<AuditEvent>(KIND, id)));
    return records.filter((r) => r !== undefined).map((r) => r.value);
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
