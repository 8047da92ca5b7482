import type { Knex } from 'knex';

export interface AuditEntry {
  actorUserId: number | null;
  action: string;
  targetType?: string;
  targetId?: string | number;
  outcome: 'success' | 'failure';
  ip?: string;
  userAgent?: string;
  requestId?: string;
  details?: unknown;
}

/** Append-only record of state-changing requests, admin actions, logins and failed logins. */
export async function writeAudit(knex: Knex, e: AuditEntry): Promise<void> {
  await knex('audit_logs').insert({
    actor_user_id: e.actorUserId,
    action: e.action,
    target_type: e.targetType ?? null,
    target_id: e.targetId === undefined ? null : String(e.targetId),
    outcome: e.outcome,
    ip_address: e.ip?.slice(0, 45) ?? null,
    user_agent: e.userAgent?.slice(0, 500) ?? null,
    request_id: e.requestId ?? null,
    details: e.details === undefined ? null : JSON.stringify(e.details),
  });
}

/**
 * Runs `change` and writes its audit row in the same transaction: a change is never made without
 * its record, nor recorded without being made. `entry` may answer null when the change turned out
 * to change nothing.
 */
export async function auditedChange<T>(
  knex: Knex,
  change: (trx: Knex.Transaction) => Promise<T>,
  entry: (result: T) => AuditEntry | null,
): Promise<T> {
  return knex.transaction(async (trx) => {
    const result = await change(trx);
    const e = entry(result);
    if (e) await writeAudit(trx, e);
    return result;
  });
}
