/**
 * What the Temporal UI shows for a payment workflow before anyone opens its input: a one-line
 * summary ("Recharge ₹149.00 · JIO · 98xxxxx210 · NP000005") and a few lines of details, set
 * when the workflow starts. Account and mobile numbers are masked as everywhere else.
 */
import { maskAccount } from '../db/beneficiaries';
import { formatRupees, Paise } from '../domain/money';
import type { PaymentKind } from '../domain/payments';
import type { HeldPaymentStart } from './temporal';

export interface WorkflowSummary {
  staticSummary: string;
  staticDetails: string;
}

const rupees = (p: Paise) => `₹${formatRupees(p)}`;
/** 9876543210 → 98xxxxx210 */
export const maskMobile = (m: string) => `${m.slice(0, 2)}${'x'.repeat(Math.max(0, m.length - 5))}${m.slice(-3)}`;

function summary(line: string[], details: Array<[string, string | number | undefined | null]>): WorkflowSummary {
  return {
    staticSummary: line.filter(Boolean).join(' · '),
    staticDetails: details
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `**${k}**: ${v}`)
      .join('\n'),
  };
}

const KIND_NAME: Record<PaymentKind, string> = {
  topup: 'Top-up',
  transfer: 'Transfer',
  payout: 'Payout',
  recharge: 'Recharge',
  bill: 'Bill',
  refund: 'Refund',
};

export function topUpSummary(p: { paymentId: string; amount: Paise }, userCode: string): WorkflowSummary {
  return summary(
    [`Top-up ${rupees(p.amount)} via PhonePe`, userCode],
    [
      ['Payment', p.paymentId],
      ['User', userCode],
      ['Amount', rupees(p.amount)],
      ['PhonePe merchant order', p.paymentId],
    ],
  );
}

export function transferSummary(t: {
  paymentId: string;
  amount: Paise;
  fee?: Paise;
  senderCode: string;
  recipientCode: string;
}): WorkflowSummary {
  return summary(
    [`Transfer ${rupees(t.amount)}`, `${t.senderCode} → ${t.recipientCode}`],
    [
      ['Payment', t.paymentId],
      ['From', t.senderCode],
      ['To', t.recipientCode],
      ['Amount', rupees(t.amount)],
      ['Fee', t.fee ? rupees(t.fee) : undefined],
    ],
  );
}

export function heldPaymentSummary(start: HeldPaymentStart, userCode: string): WorkflowSummary {
  const head = `${KIND_NAME[start.kind]} ${rupees(start.input.amount)}`;
  const common: Array<[string, string | number | undefined]> = [
    ['Payment', start.input.paymentId],
    ['User', userCode],
    ['Amount', rupees(start.input.amount)],
  ];
  switch (start.kind) {
    case 'recharge': {
      const r = start.input;
      return summary(
        [head, r.operator, maskMobile(r.mobile), userCode],
        [...common, ['Operator', `${r.operator} (${r.circle})`], ['Mobile', maskMobile(r.mobile)]],
      );
    }
    case 'bill': {
      const b = start.input;
      return summary(
        [head, b.billerName, b.bill.billNumber, userCode],
        [
          ...common,
          ['Biller', `${b.billerName} (${b.billerId})`],
          ['Bill', b.bill.billNumber],
          ['Customer', b.bill.customerName],
          ['Due', b.bill.dueDate ?? undefined],
        ],
      );
    }
    case 'payout': {
      const o = start.input;
      const account = maskAccount(o.beneficiary.accountMasked);
      return summary(
        [head, o.mode, account, userCode],
        [
          ...common,
          ['Beneficiary', `${o.beneficiary.name}, ${account}, ${o.beneficiary.ifsc} (${o.beneficiary.bankName})`],
          ['Mode', o.mode],
        ],
      );
    }
  }
}

export function refundSummary(r: {
  refundId: string;
  topUpId: string;
  amount: Paise;
  requestedBy: string;
}): WorkflowSummary {
  return summary(
    [`Refund ${rupees(r.amount)} of top-up ${r.topUpId}`, `by ${r.requestedBy}`],
    [
      ['Refund', r.refundId],
      ['Of top-up', r.topUpId],
      ['Amount', rupees(r.amount)],
      ['Requested by', r.requestedBy],
    ],
  );
}

/** A recovery run shows what it recovers. */
export const recoverySummary = (original: string | undefined, workflowId: string): WorkflowSummary => ({
  staticSummary: `Recovery: ${(original ?? workflowId).replace(/^Recovery: /, '')}`,
  staticDetails: `A recovery run: the earlier run of **${workflowId}** stopped while the payment was open. It asks the provider and settles the payment once.`,
});
