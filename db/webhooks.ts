/**
 * The webhook inbox. Every verified webhook is stored before anything acts on it, deduplicated
 * on (provider, hash of the raw body), so a provider's retries are recognised and nothing a
 * provider told us is lost even when the workflow could not be signalled yet.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isDuplicateKey } from './ledger/transaction';

export interface StoredWebhook {
  id: number;
  dedupeKey: string;
  duplicate: boolean;
  signalled: boolean;
}

export const webhookDedupeKey = (rawBody: string) => createHash('sha256').update(rawBody).digest('hex');

export async function storeWebhook(
  knex: Knex,
  w: { provider: string; rawBody: string; eventType: string; providerRef: string; payload: unknown },
): Promise<StoredWebhook> {
  const dedupeKey = webhookDedupeKey(w.rawBody);
  try {
    const [id] = (await knex('webhook_events').insert({
      provider: w.provider,
      dedupe_key: dedupeKey,
      event_type: w.eventType.slice(0, 100),
      provider_ref: w.providerRef.slice(0, 255),
      payload: JSON.stringify(w.payload),
    })) as [number];
    return { id, dedupeKey, duplicate: false, signalled: false };
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const row = await knex('webhook_events').where({ provider: w.provider, dedupe_key: dedupeKey }).first('id', 'signalled_at');
    return { id: row.id, dedupeKey, duplicate: true, signalled: row.signalled_at !== null };
  }
}

export async function markWebhookSignalled(knex: Knex, id: number, workflowId: string): Promise<void> {
  await knex('webhook_events').where({ id }).whereNull('signalled_at').update({ signalled_at: new Date(), workflow_id: workflowId });
}

/** Webhooks stored but never delivered to a workflow (for reconciliation and ops). */
export async function unsignalledWebhooks(knex: Knex, olderThan: Date): Promise<Array<{ id: number; provider: string; providerRef: string; eventType: string; receivedAt: Date }>> {
  const rows = await knex('webhook_events').whereNull('signalled_at').where('received_at', '<', olderThan).orderBy('id').limit(500);
  return rows.map((r) => ({ id: r.id, provider: r.provider, providerRef: r.provider_ref, eventType: r.event_type, receivedAt: r.received_at }));
}
