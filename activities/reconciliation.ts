import type { Knex } from 'knex';
import type { Ledger } from '../db/ledger';
import { outstandingClawbacks } from '../db/commissions';
import { purgeExpiredIdempotencyKeys } from '../db/idempotency';
import { stuckPayments } from '../db/payments';
import { storeReconciliationReport, systemAccountBalances } from '../db/reconciliation';
import { undeliveredWebhooks } from '../db/webhooks';
import { formatRupees } from '../domain/money';
import type { ReconciliationSummary } from '../domain/contracts';

/** An open payment untouched for longer than PhonePe's late window (48 h) plus a margin is stale. */
const STALE_AFTER_MS = 49 * 3_600_000;
const UNDELIVERED_AFTER_MS = 3_600_000;

export function reconciliationActivities(deps: { knex: Knex; ledger: Ledger }) {
  return {
    /**
     * The daily reconciliation: the ledger invariants, webhooks stored but never delivered to a
     * workflow, open payments past their windows, commissions a reversal could not claw back, and the system accounts' balances; stored for
     * the admin API. Expired idempotency keys are purged on the way.
     */
    async runLedgerReconciliation(): Promise<ReconciliationSummary> {
      const startedAt = new Date();
      const invariants = await deps.ledger.checkInvariants();
      const undelivered = await undeliveredWebhooks(deps.knex, new Date(startedAt.getTime() - UNDELIVERED_AFTER_MS));
      const stale = await stuckPayments(deps.knex, {
        olderThan: new Date(startedAt.getTime() - STALE_AFTER_MS),
        limit: 500,
      });
      const accounts = await systemAccountBalances(deps.knex);
      const clawbacks = await outstandingClawbacks(deps.knex);
      const purgedIdempotencyKeys = await purgeExpiredIdempotencyKeys(deps.knex, startedAt);
      const report = {
        ...invariants,
        undeliveredWebhooks: undelivered,
        stalePayments: stale.map((p) => ({
          paymentId: p.id,
          kind: p.kind,
          status: p.status,
          amount: formatRupees(p.amount),
          updatedAt: p.updatedAt.toISOString(),
        })),
        systemAccounts: accounts.map((a) => ({
          code: a.code,
          normalSide: a.normalSide,
          balance: formatRupees(a.balance),
        })),
        outstandingClawbacks: clawbacks.map((c) => ({ ...c, amount: formatRupees(c.amount) })),
        purgedIdempotencyKeys,
      };
      const reportId = await storeReconciliationReport(deps.knex, {
        startedAt,
        finishedAt: new Date(),
        ok: invariants.ok,
        report,
      });
      return {
        reportId,
        ok: invariants.ok,
        failedChecks: invariants.checks.filter((c) => !c.ok).map((c) => c.id),
        attention: {
          undeliveredWebhooks: undelivered.length,
          stalePayments: stale.length,
          outstandingClawbacks: clawbacks.length,
        },
      };
    },
  };
}
