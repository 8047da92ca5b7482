/**
 * Everything the ledger and the webhook inbox hold about one payment, for the console's payment
 * page: its journals with their lines, its holds, and the webhooks providers sent about it.
 * Found by the references the payment's postings are made under (domain/references.ts), through
 * the unique reference index, and by the provider references recorded on the payment.
 */
import type { Knex } from 'knex';
import type { Paise } from '../domain/money';
import { commissionReferenceOf } from '../domain/references';
import { fromDecimal } from './money';
import { escapeLike } from './sql';
import type { PaymentRecord } from './payments';
import type { PaymentKind } from '../domain/payments';
import type { WebhookProvider } from './webhooks';

export interface TrailJournal {
  reference: string;
  ledgerType: string;
  description: string | null;
  createdAt: Date;
  lines: Array<{ account: string; debit: Paise; credit: Paise; balanceAfter: Paise }>;
}

export interface TrailHold {
  reference: string;
  amount: Paise;
  status: string;
  capturedAmount: Paise | null;
  releaseReason: string | null;
  createdAt: Date;
  resolvedAt: Date | null;
}

export interface TrailWebhook {
  id: number;
  provider: string;
  eventType: string;
  providerRef: string;
  receivedAt: Date;
  signalledAt: Date | null;
  undeliveredReason: string | null;
}

/** Who sends webhooks about each kind (a transfer has no provider). */
const WEBHOOK_PROVIDER_OF_KIND: Record<PaymentKind, WebhookProvider | null> = {
  topup: 'phonepe',
  refund: 'phonepe',
  payout: 'payout',
  recharge: 'recharge',
  bill: 'bbps',
  transfer: null,
};

export async function paymentTrail(
  knex: Knex,
  p: PaymentRecord,
): Promise<{ journals: TrailJournal[]; holds: TrailHold[]; webhooks: TrailWebhook[] }> {
  const own = `${escapeLike(p.kind)}:${escapeLike(p.id)}:%`;
  const commissions = commissionReferenceOf(p.id);
  const journals = await knex('ledger_journals')
    .where('reference', 'like', own)
    .orWhere('reference', commissions)
    .orWhere('reference', 'like', `${escapeLike(commissions)}:%`)
    .orderBy('id')
    .select('id', 'reference', 'ledger_type', 'description', 'created_at');
  const lines = journals.length
    ? await knex('ledger_entries as e')
        .leftJoin('users as u', 'u.id', 'e.user_id')
        .leftJoin('system_accounts as s', 's.id', 'e.system_account_id')
        .whereIn(
          'e.journal_id',
          journals.map((j) => j.id),
        )
        .orderBy('e.id')
        .select('e.journal_id', 'u.user_code', 's.code', 'e.debit', 'e.credit', 'e.balance_after')
    : [];
  const holds = await knex('holds').where('reference', 'like', own).orderBy('id');
  const refs = [p.id, p.providerRef, ...Object.values(p.providerRefs)].filter((r): r is string => Boolean(r));
  const provider = WEBHOOK_PROVIDER_OF_KIND[p.kind];
  // Only the payment's own provider: another provider's reference may look the same.
  const webhooks = await knex('webhook_events')
    .where('provider', provider ?? '')
    .whereIn('provider_ref', [...new Set(refs)])
    .orderBy('id')
    .select('id', 'provider', 'event_type', 'provider_ref', 'received_at', 'signalled_at', 'undelivered_reason');
  return {
    journals: journals.map((j) => ({
      reference: j.reference,
      ledgerType: j.ledger_type,
      description: j.description,
      createdAt: j.created_at,
      lines: lines
        .filter((l) => l.journal_id === j.id)
        .map((l) => ({
          account: l.user_code ? `wallet ${l.user_code}` : String(l.code),
          debit: fromDecimal(l.debit),
          credit: fromDecimal(l.credit),
          balanceAfter: fromDecimal(l.balance_after),
        })),
    })),
    holds: holds.map((h) => ({
      reference: h.reference,
      amount: fromDecimal(h.amount),
      status: h.status,
      capturedAmount: h.captured_amount === null ? null : fromDecimal(h.captured_amount),
      releaseReason: h.release_reason,
      createdAt: h.created_at,
      resolvedAt: h.resolved_at,
    })),
    webhooks: webhooks.map((w) => ({
      id: w.id,
      provider: w.provider,
      eventType: w.event_type,
      providerRef: w.provider_ref,
      receivedAt: w.received_at,
      signalledAt: w.signalled_at,
      undeliveredReason: w.undelivered_reason,
    })),
  };
}
