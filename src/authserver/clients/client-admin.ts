import type { AuditLog } from '../../audit/audit-log.js';
import type { Acting } from '../people/people-admin.js';
import type { ClientRecord, ClientRegistry, NewClient } from './registry.js';

/** Registering and removing clients as an operator, with the audit record: what the CLI and the console both call. */
export class ClientAdmin {
  constructor(
    private readonly registry: ClientRegistry,
    private readonly audit: AuditLog,
  ) {}

  async add(request: NewClient, acting: Acting): Promise<ClientRecord> {
    const record = await this.registry.add(request);
    await this.audit.record({ type: 'client.registered', clientId: record.client_id, actor: acting.actor, reason: acting.via });
    return record;
  }

  /** Removes any stored client, self-registered ones too; false when there is none with this id. */
  async remove(clientId: string, acting: Acting): Promise<boolean> {
    if (!(await this.registry.remove(clientId))) return false;
    await this.audit.record({ type: 'client.removed', clientId, actor: acting.actor, reason: acting.via });
    return true;
  }
}
