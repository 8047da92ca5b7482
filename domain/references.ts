/**
 * The ledger references of each payment's postings and holds, built in one place: activities
 * post under them (which makes every posting idempotent), recovery looks them up, and the
 * invariant checker and reports join on them in SQL through `referenceSql`, from the same
 * templates, so the TypeScript and SQL spellings cannot drift apart.
 */
import type { PaymentKind } from './payments';

const TEMPLATES = {
  /** The hold a payout, recharge, bill or refund places before its provider is asked. */
  hold: '{kind}:{id}:hold',
  /** The capture of that hold. */
  capture: '{kind}:{id}:capture',
  /** The refund to the wallet when a provider reverses a settled payment. */
  reversal: '{kind}:{id}:reversal',
  topUpCredit: 'topup:{id}:credit',
  transfer: 'transfer:{id}:post',
  commission: 'commission:{id}',
  clawback: 'commission:{id}:clawback:{level}',
} as const;

type Template = keyof typeof TEMPLATES;
type Parts = { kind?: string; id: string; level?: string | number };

const fill = (t: Template, p: Parts) =>
  TEMPLATES[t]
    .replace('{kind}', p.kind ?? '')
    .replace('{id}', p.id)
    .replace('{level}', String(p.level ?? ''));

export const holdReferenceOf = (kind: PaymentKind, paymentId: string) => fill('hold', { kind, id: paymentId });
export const captureReferenceOf = (kind: PaymentKind, paymentId: string) => fill('capture', { kind, id: paymentId });
export const reversalReferenceOf = (kind: PaymentKind, paymentId: string) => fill('reversal', { kind, id: paymentId });
export const commissionReferenceOf = (paymentId: string) => fill('commission', { id: paymentId });
export const clawbackReferenceOf = (paymentId: string, level: number) => fill('clawback', { id: paymentId, level });

/** The posting that settles a payment: the top-up's credit, the transfer, or a hold's capture. */
export function settlementReferenceOf(kind: PaymentKind, paymentId: string): string {
  if (kind === 'topup') return fill('topUpCredit', { id: paymentId });
  if (kind === 'transfer') return fill('transfer', { id: paymentId });
  return captureReferenceOf(kind, paymentId);
}

/**
 * The same reference as a SQL expression over columns, e.g. `referenceSql('hold', { kind:
 * 'p.kind', id: 'p.id' })` is `CONCAT(p.kind, ':', p.id, ':hold')`. Column names are the
 * caller's SQL (trusted, never user input); the literal parts come from the template.
 */
export function referenceSql(t: Template, columns: Parts): string {
  const parts = TEMPLATES[t].split(/(\{kind\}|\{id\}|\{level\})/).filter((p) => p !== '');
  const sql = parts.map((p) => {
    if (p === '{kind}') return columns.kind!;
    if (p === '{id}') return columns.id;
    if (p === '{level}') return String(columns.level!);
    return `'${p.replace(/'/g, "''")}'`;
  });
  return `CONCAT(${sql.join(', ')})`;
}
