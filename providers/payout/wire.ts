/**
 * The bank payout provider's protocol (IMPS/NEFT; modelled on the payout APIs Indian banks and
 * aggregators expose), shared by the client and the simulator:
 *
 *   POST /v1/payouts {referenceId, amount (paise), mode, beneficiary: {name, accountNumber, ifsc}}
 *        → 200 payout (a repeated referenceId answers the original payout; it never pays twice)
 *   GET  /v1/payouts/{referenceId} → 200 payout | 404
 *   POST /v1/accounts/verify {accountNumber, ifsc} → {valid, nameAtBank}   (penny-drop)
 *   payout = {payoutId, referenceId, status: PROCESSING | PROCESSED | FAILED | REVERSED, utr?, failureReason?}
 *   webhook {event: payout.processed | payout.failed | payout.reversed, payload: payout}, signed (signedWebhook.ts)
 * Errors: {code, message} with 400/401/404/409/5xx. All requests carry `X-Api-Key`.
 */
import { z } from 'zod';

export const IFSC = /^[A-Z]{4}0[A-Z0-9]{6}$/;

export const payoutAnswer = z.object({
  payoutId: z.string().min(1),
  referenceId: z.string().min(1),
  status: z.enum(['PROCESSING', 'PROCESSED', 'FAILED', 'REVERSED']),
  utr: z.string().min(1).optional().nullable(),
  failureReason: z.string().optional().nullable(),
});

export const createPayoutBody = z.object({
  referenceId: z.string().min(1).max(64),
  amount: z.number().int().min(100),
  mode: z.enum(['IMPS', 'NEFT']),
  beneficiary: z.object({
    name: z.string().min(1).max(100),
    accountNumber: z.string().regex(/^\d{6,18}$/),
    ifsc: z.string().regex(IFSC),
  }),
});

export const verifyBody = z.object({ accountNumber: z.string().regex(/^\d{6,18}$/), ifsc: z.string().regex(IFSC) });
export const verifyAnswer = z.object({ valid: z.boolean(), nameAtBank: z.string().nullable().optional() });

export const payoutWebhook = z.object({
  event: z.enum(['payout.processing', 'payout.processed', 'payout.failed', 'payout.reversed']),
  payload: payoutAnswer,
});
