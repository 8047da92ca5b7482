/**
 * What makes one kind of held payment (payout, recharge, bill) different from another. The
 * process is the same for all (`workflows/heldPayment.ts`); each kind's module says who its
 * provider is, what order it sends, where the money goes when it succeeds, how it reads on the
 * statement and in the Temporal UI, and whether the uplines earn commissions on it.
 */
import type { ProviderOutcome, RecoveryStart } from '../contracts';
import type { LedgerType, StatementInfo, SystemAccountCode } from '../ledger';
import type { Paise } from '../money';
import type { ProviderOutcomeKind } from '../payments';
import type { PollingPlan } from '../polling';

export interface HeldPaymentTiming {
  /** When to ask the provider while it is working on the order. */
  polling: PollingPlan;
  /** How long a settled payment keeps listening for the provider's reversal. */
  reversalWatchMs: number;
  /** How long one provider call may keep retrying before the payment parks (absent in older histories). */
  providerCallBudgetMs?: number;
}

/** What every held kind's workflow is given. */
export interface HeldPaymentInput extends HeldPaymentTiming {
  /** Set for a recovery run of an orphaned payment. */
  recovery?: RecoveryStart;
  paymentId: string;
  userId: number;
  amount: Paise;
}

/** A line of the Temporal UI's summary, and its details as label/value pairs. */
export interface KindSummary {
  line: string[];
  details: Array<[string, string | number | undefined | null]>;
}

/** What every order a held payment sends carries; the payment id is our reference at the provider. */
export interface HeldOrder {
  kind: string;
  paymentId: string;
  userId: number;
  amount: Paise;
}

export interface HeldKind<Input extends HeldPaymentInput, Order extends HeldOrder> {
  kind: Order['kind'];
  /** The provider's status words, each in the engine's terms (pending, succeeded, failed, reversed). */
  outcomes: Readonly<Record<string, ProviderOutcomeKind>>;
  /** Its name in titles: "Recharge". */
  title: string;
  /** Who the provider is, in words: "the bank", "the recharge operator", "BBPS". */
  provider: string;
  /** Where the held amount goes once the provider confirms, and how the posting is typed. */
  settlement: {
    account: SystemAccountCode;
    ledgerType: LedgerType;
    transactionType: NonNullable<StatementInfo['transactionType']>;
  };
  /** The share of the amount the uplines may earn (1/10,000), from the input; undefined: no commissions. */
  commissionMarginRate(input: Input): number | undefined;
  /** The order sent to the provider, with the payment id as our reference. */
  order(input: Input): Order;
  /** What the read model keeps of it (shown by the API and on the statement): never a full account number. */
  details(input: Input): Record<string, unknown>;
  /** The capture's statement line, from the recorded details and the provider's answer (whose reference every kind shows). */
  statement(details: Record<string, any>, outcome: ProviderOutcome): Omit<StatementInfo, 'transactionType'>;
  /** What the Temporal UI shows before anyone opens the input (numbers masked). */
  summary(input: Input): KindSummary;
}

/** What every kind's order takes from its input as it is: our reference, the payer, the amount. */
export const orderBase = (input: HeldPaymentInput) => ({
  paymentId: input.paymentId,
  userId: input.userId,
  amount: input.amount,
});

/** 9876543210 → 98xxxxx210 */
export const maskMobile = (m: string) => `${m.slice(0, 2)}${'x'.repeat(Math.max(0, m.length - 5))}${m.slice(-3)}`;
