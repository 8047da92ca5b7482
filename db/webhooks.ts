/**
 * The webhook inbox. Every verified webhook is stored before anything acts on it, deduplicated
 * on (provider, hash of the raw body), so a provider's retries are recognised and nothing a
 * provider told us is lost even when the workflow could not be signalled yet.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { Db, insertRow, isDuplicateKey, selectRows, update } from './sql';

export interface StoredWebhook {
  id: number;
  dedupeKey: string;
  duplicate: boolean;
  signalled: boolean;
}

/** Who sends webhooks: the inbox's `provider` column. */
export const WEBHOOK_PROVIDERS = ['phonepe', 'bbps', 'recharge', 'payout'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export const webhookDedupeKey = (rawBody: string) => createHash('sha256').update(rawBody).digest('hex');

export async function storeWebhook(
  knex: Knex,
  w: { provider: WebhookProvider; rawBody: string; eventType: string; providerRef: string; payload: unknown },
): Promise<StoredWebhook> {
  const dedupeKey = webhookDedupeKey(w.rawBody);
  try {
    // Plain SQL (db/sql.ts), as the relay's other statements: every payment's webhooks pass here.
    const id = await insertRow(knex, 'webhook_events', {
      provider: w.provider,
      dedupe_key: dedupeKey,
      event_type: w.eventType.slice(0, 100),
      provider_ref: w.providerRef.slice(0, 255),
      payload: JSON.stringify(w.payload),
    });
    return { id, dedupeKey, duplicate: false, signalled: false };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const [row] = await selectRows<{ id: number; signalled_at: Date | null }>(
      knex,
      'SELECT id, signalled_at FROM webhook_events WHERE provider = ? AND dedupe_key = ?',
      [w.provider, dedupeKey],
    );
    return { id: row!.id, dedupeKey, duplicate: true, signalled: row!.signalled_at !== null };
  }
}

export async function markWebhookSignalled(knex: Knex, id: number, workflowId: string): Promise<void> {
  await update(
    knex,
    'UPDATE webhook_events SET signalled_at = ?, workflow_id = ? WHERE id = ? AND signalled_at IS NULL',
    [new Date(), workflowId, id],
  );
}

/**
 * An event no workflow will act on: its workflow has closed and the event contradicts how the
 * payment ended. It stays undelivered (listed for finance) until an admin settles it.
 */
export async function markWebhookUndelivered(
  knex: Knex,
  id: number,
  workflowId: string,
  reason: string,
): Promise<void> {
  await knex('webhook_events')
    .where({ id })
    .whereNull('signalled_at')
    .update({ workflow_id: workflowId, undelivered_reason: reason.slice(0, 500) });
}

export interface UndeliveredWebhook {
  id: number;
  provider: string;
  providerRef: string;
  eventType: string;
  receivedAt: Date;
  /** Why no workflow took it; null while it merely waits for its payment to appear. */
  reason: string | null;
}

const toUndelivered = (r: Record<string, any>): UndeliveredWebhook => ({
  id: r.id,
  provider: r.provider,
  providerRef: r.provider_ref,
  eventType: r.event_type,
  receivedAt: r.received_at,
  reason: r.undelivered_reason,
});

/**
 * Webhooks stored but never delivered to a workflow nor settled by an admin (reconciliation,
 * ops): those with a reason at once, those still waiting for their payment after `olderThan`.
 */
export async function undeliveredWebhooks(knex: Knex, olderThan: Date, limit = 500): Promise<UndeliveredWebhook[]> {
  const rows = await knex('webhook_events')
    .whereNull('signalled_at')
    .whereNull('settled_at')
    .where((w) => w.whereNotNull('undelivered_reason').orWhere('received_at', '<', olderThan))
    .orderBy('id')
    .limit(limit);
  return rows.map(toUndelivered);
}

/** Finance has dealt with an undelivered event (e.g. an adjusting posting); it leaves the lists. */
export async function settleWebhook(
  knex: Knex,
  id: number,
  s: { by: string; note: string },
): Promise<UndeliveredWebhook | undefined> {
  const changed = await knex('webhook_events')
    .where({ id })
    .whereNull('signalled_at')
    .whereNull('settled_at')
    .update({ settled_at: new Date(), settled_by: s.by.slice(0, 32), settlement_note: s.note.slice(0, 500) });
  if (changed === 0) return undefined;
  return toUndelivered(await knex('webhook_events').where({ id }).first());
}

/**
 * The payment's reversal has been booked (REVERSED): an event about it that was left for finance
 * meanwhile (it arrived as the watch ended) is settled by that booking, so nobody refunds twice.
 */
export async function settleUndeliveredReversals(db: Db, paymentId: string): Promise<void> {
  // The held kinds' providers are named so the (provider, provider_ref) index finds the rows.
  await update(
    db,
    `UPDATE webhook_events
        SET settled_at = ?, settled_by = 'reversal-run',
            settlement_note = 'the reversal was booked by the engine (payment REVERSED): no adjusting posting needed'
      WHERE provider IN ('bbps', 'recharge', 'payout') AND provider_ref = ?
        AND undelivered_reason IS NOT NULL AND signalled_at IS NULL AND settled_at IS NULL`,
    [new Date(), paymentId],
  );
}
