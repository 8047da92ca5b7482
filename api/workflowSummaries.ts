/**
 * What the Temporal UI shows for a payment workflow before anyone opens its input: a one-line
 * summary ("Recharge ₹149.00 · JIO · 98xxxxx210 · NP000005") and a few lines of details, set
 * when the workflow starts. Account and mobile numbers are masked as everywhere else.
 */
import { formatRupees, Paise } from '../domain/money';
import { heldKind, HeldPaymentStart } from '../domain/heldKinds';

export interface WorkflowSummary {
  staticSummary: string;
  staticDetails: string;
}

const rupees = (p: Paise) => `₹${formatRupees(p)}`;

function summary(line: string[], details: Array<[string, string | number | undefined | null]>): WorkflowSummary {
  return {
    staticSummary: line.filter(Boolean).join(' · '),
    staticDetails: details
      .filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => `**${k}**: ${v}`)
      .join('\n'),
  };
}

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
  const kind = heldKind(start.kind);
  const own = kind.summary(start.input);
  return summary(
    [`${kind.title} ${rupees(start.input.amount)}`, ...own.line, userCode],
    [['Payment', start.input.paymentId], ['User', userCode], ['Amount', rupees(start.input.amount)], ...own.details],
  );
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
