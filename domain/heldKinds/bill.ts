/**
 * BBPS bill payment, from a bill fetched through the API: hold the amount → BBPS pays the
 * biller with our reference → SUCCESS: capture into BBPS_PAYABLE and pay commissions; FAILURE:
 * release; REVERSED later: refund and claw back. BBPS may keep a payment PENDING for up to 48 h;
 * it is never sent again while pending, only asked about.
 */
import { HeldKind, HeldOrder, HeldPaymentInput, orderBase } from './kind';

export interface BillPaymentInput extends HeldPaymentInput {
  billerId: string;
  billerName: string;
  fetchRef: string;
  bill: { customerName: string; billNumber: string; dueDate: string | null };
  commissionMarginRate: number;
}

/** The provider's status words in the engine's terms (its wire protocol and webhooks use this map). */
export const BILL_PAYMENT_OUTCOME = {
  PROCESSING: 'pending',
  PENDING: 'pending',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  REVERSED: 'reversed',
} as const;

export interface BillOrder extends HeldOrder {
  kind: 'bill';
  billerId: string;
  fetchRef: string;
}

export const BILL: HeldKind<BillPaymentInput, BillOrder> = {
  kind: 'bill',
  outcomes: BILL_PAYMENT_OUTCOME,
  title: 'Bill',
  provider: 'BBPS',
  settlement: { account: 'BBPS_PAYABLE', ledgerType: 'Bill', transactionType: 'bill_payment' },
  commissionMarginRate: (input) => input.commissionMarginRate,
  order: (input) => ({
    kind: 'bill',
    ...orderBase(input),
    billerId: input.billerId,
    fetchRef: input.fetchRef,
  }),
  details: (input) => ({
    billerId: input.billerId,
    billerName: input.billerName,
    fetchRef: input.fetchRef,
    ...input.bill,
  }),
  statement: (d) => ({
    remarks: `${d.billerName ?? d.billerId} bill ${d.billNumber ?? ''}`.trim(),
  }),
  summary: (input) => ({
    line: [input.billerName, input.bill.billNumber],
    details: [
      ['Biller', `${input.billerName} (${input.billerId})`],
      ['Bill', input.bill.billNumber],
      ['Customer', input.bill.customerName],
      ['Due', input.bill.dueDate ?? undefined],
    ],
  }),
};
