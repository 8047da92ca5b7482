/**
 * The mobile recharge aggregator's protocol, shared by the client and the simulator:
 *
 *   GET  /v1/operators → {operators: [{code, name, circles: [{code, name}], minAmount, maxAmount}]} (rupees)
 *   POST /v1/recharges {operator, circle, mobile, amount (whole rupees), clientRef}
 *        → 200 recharge (a repeated clientRef answers the original; it never recharges twice)
 *   GET  /v1/recharges/{clientRef} → 200 recharge | 404
 *   recharge = {clientRef, status: SUCCESS | PENDING | FAILURE | REVERSED, operatorRef?, message?}
 *   webhook {event: "recharge.status", payload: recharge}, signed (signedWebhook.ts)
 * All requests carry `X-Api-Key`; errors are {code, message}.
 */
import { z } from 'zod';
import { RECHARGE_OPERATORS } from '../contracts';

export const MOBILE = /^[6-9]\d{9}$/;

export const operatorsAnswer = z.object({
  operators: z.array(
    z.object({
      code: z.enum(RECHARGE_OPERATORS),
      name: z.string(),
      circles: z.array(z.object({ code: z.string(), name: z.string() })),
      minAmount: z.number().int().positive(),
      maxAmount: z.number().int().positive(),
    }),
  ),
});

export const rechargeBody = z.object({
  operator: z.enum(RECHARGE_OPERATORS),
  circle: z.string().min(1).max(10),
  mobile: z.string().regex(MOBILE),
  amount: z.number().int().min(1),
  clientRef: z.string().min(1).max(64),
});

export const rechargeAnswer = z.object({
  clientRef: z.string().min(1),
  status: z.enum(['SUCCESS', 'PENDING', 'FAILURE', 'REVERSED']),
  operatorRef: z.string().optional().nullable(),
  message: z.string().optional().nullable(),
});

export const rechargeWebhook = z.object({ event: z.literal('recharge.status'), payload: rechargeAnswer });
