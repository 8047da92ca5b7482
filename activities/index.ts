/**
 * createActivities(deps) → every activity the worker registers. Activities are thin: they call
 * db/ and providers/, and their errors cross into Temporal through one mapping (failures.ts).
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { createLedger, Ledger } from '../db/ledger';
import { withFailureMapping } from './failures';
import { heldPaymentActivities } from './heldPayments';
import { orphanActivities } from './orphans';
import { recoveryActivities } from './recovery';
import { PayeeLookup, providerOrders } from './providerOrders';
import { paymentActivities } from './payments';
import { reconciliationActivities } from './reconciliation';
import { reportActivities } from './reports';
import { reversalActivities } from './reversals';
import { refundActivities } from './refund';
import type { ProviderGateways } from '../providers/contracts';
import type { PhonePeGateway } from '../providers/phonepe/client';
import { topUpActivities } from './topup';
import { transferActivities } from './transfer';

export interface ActivityDeps {
  knex: Knex;
  ledger?: Ledger;
  phonepe: PhonePeGateway;
  /** Payout, recharge and BBPS; a worker without one fails those payments' sends loudly (and retries). */
  gateways?: Partial<ProviderGateways>;
  /** Decrypts a payout's beneficiary at send time (the number never enters workflow history). */
  payee?: PayeeLookup;
  /** For the orphan sweep, which compares payment records with Temporal's view of their workflows. */
  temporal?: Client;
  /** Verifies that an operator decision came from the admin API (domain/decisionProof.ts). */
  decisionKey?: Buffer;
  /** The reversal watch's window (REVERSAL_WATCH_HOURS), which bounds how long a failed check waits; 72 h by default. */
  reversalWatchMs?: number;
}

const noPayee: PayeeLookup = () => Promise.reject(new Error('this worker was started without beneficiary keys'));

export function createActivities(deps: ActivityDeps) {
  const ledger = deps.ledger ?? createLedger(deps.knex);
  const orders = providerOrders({ gateways: deps.gateways ?? {}, payee: deps.payee ?? noPayee });
  const payments = paymentActivities({ knex: deps.knex, decisionKey: deps.decisionKey });
  return withFailureMapping({
    ...payments,
    ...reconciliationActivities({ knex: deps.knex, ledger }),
    ...reportActivities({ knex: deps.knex }),
    ...orphanActivities({ knex: deps.knex, temporal: deps.temporal }),
    ...recoveryActivities({ ledger }),
    ...topUpActivities({ knex: deps.knex, ledger, phonepe: deps.phonepe }),
    ...refundActivities({ knex: deps.knex, ledger, phonepe: deps.phonepe }),
    ...transferActivities({ knex: deps.knex, ledger }),
    ...heldPaymentActivities({ knex: deps.knex, ledger, orders, recordPaymentStatus: payments.recordPaymentStatus }),
    ...reversalActivities({ knex: deps.knex, orders, watchMs: deps.reversalWatchMs ?? 72 * 3_600_000 }),
  });
}

export type Activities = ReturnType<typeof createActivities>;
