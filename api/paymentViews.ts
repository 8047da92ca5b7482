import { z } from 'zod';
import type { PaymentRecord } from '../db/payments';
import { PAYMENT_KINDS, PAYMENT_STATUSES, TimelineEntry } from '../domain/payments';
import { money, rupees } from './schemas';

export const paymentView = z.object({
  paymentId: z.string(),
  kind: z.enum(PAYMENT_KINDS),
  status: z.enum(PAYMENT_STATUSES),
  amount: money,
  fee: money,
  createdAt: z.string(),
  updatedAt: z.string(),
  provider: z.record(z.string(), z.string().nullable()),
  timeline: z.array(
    z.object({
      status: z.enum(PAYMENT_STATUSES),
      at: z.string(),
      note: z.string().optional(),
      actor: z.string().optional(),
    }),
  ),
  failureReason: z.string().optional(),
  relatedPaymentId: z.string().optional(),
});

export function toPaymentView(p: PaymentRecord, timeline: TimelineEntry[]) {
  return {
    paymentId: p.id,
    kind: p.kind,
    status: p.status,
    amount: rupees(p.amount),
    fee: rupees(p.fee),
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    provider: { ref: p.providerRef, ...p.providerRefs },
    timeline,
    ...(p.failureReason ? { failureReason: p.failureReason } : {}),
    ...(p.relatedPaymentId ? { relatedPaymentId: p.relatedPaymentId } : {}),
  };
}
