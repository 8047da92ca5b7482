/**
 * A local bank payout provider (protocol in wire.ts) under `/payout`. Scenarios match on the
 * beneficiary's account number. Penny-drop: every well-formed account is valid with a name
 * derived from the number, unless scripted with `POST /__sim/accounts {accountNumber, valid, nameAtBank?}`.
 */
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import { z } from 'zod';
import { badRequest, createSimCore, Phase, SimOrder } from './core';
import { createPayoutBody, verifyBody } from '../providers/payout/wire';

export interface PayoutSimulatorOptions {
  apiKey: string;
  webhookSecret: string;
  webhookUrl?: string;
}

interface PayoutData {
  payoutId: string;
  amount: number;
  mode: string;
  failureReason?: string;
  utr: string;
}

const STATUS: Record<Phase, string> = {
  processing: 'PROCESSING',
  pending: 'PROCESSING',
  success: 'PROCESSED',
  failure: 'FAILED',
  reversed: 'REVERSED',
};
const NAMES = [
  'Ravi Kumar',
  'Priya Sharma',
  'Arjun Mehta',
  'Lakshmi Iyer',
  'Mohammed Khan',
  'Sunita Devi',
  'Vikram Singh',
  'Anjali Nair',
];

export function createPayoutSimulator(o: PayoutSimulatorOptions) {
  const view = (order: SimOrder<PayoutData>, phase: Phase) => ({
    payoutId: order.data.payoutId,
    referenceId: order.ref,
    status: STATUS[phase],
    ...(phase === 'success' || phase === 'reversed' ? { utr: order.data.utr } : {}),
    ...(phase === 'failure'
      ? { failureReason: order.scenario.failureReason ?? 'beneficiary bank declined the transfer' }
      : {}),
  });
  const accounts = new Map<string, { valid: boolean; nameAtBank: string | null }>();
  const core = createSimCore<PayoutData>({
    name: 'payout',
    ...o,
    view,
    onReset: () => accounts.clear(),
    webhookBody: (order, phase) => ({ event: `payout.${STATUS[phase].toLowerCase()}`, payload: view(order, phase) }),
  });
  let seq = 0;
  const router = new Router({ prefix: '/payout' });
  core.controlRoutes(router);
  router.post('/__sim/accounts', (ctx) => {
    const a = z
      .object({ accountNumber: z.string().min(1), valid: z.boolean(), nameAtBank: z.string().nullable().optional() })
      .parse(ctx.request.body ?? {});
    accounts.set(a.accountNumber, { valid: a.valid, nameAtBank: a.valid ? (a.nameAtBank ?? null) : null });
    ctx.body = a;
  });

  router.post('/v1/payouts', core.authenticate, async (ctx) => {
    const body = createPayoutBody.safeParse(ctx.request.body);
    if (!body.success) return badRequest(ctx, body.error);
    await core.respond(ctx, 'create', () => {
      const { order } = core.create(body.data.referenceId, body.data.beneficiary.accountNumber, {
        payoutId: `pout_${String(++seq).padStart(8, '0')}`,
        amount: body.data.amount,
        mode: body.data.mode,
        utr: `${body.data.mode === 'IMPS' ? 'IMPS' : 'NEFT'}${createHash('sha256').update(body.data.referenceId).digest('hex').slice(0, 12).toUpperCase()}`,
      });
      if (order.data.amount !== body.data.amount)
        return {
          status: 409,
          body: { code: 'DUPLICATE_REFERENCE', message: 'referenceId already used for another amount' },
        };
      return { status: 200, body: view(order, core.phase(order)) };
    });
  });
  router.get('/v1/payouts/:referenceId', core.authenticate, async (ctx) => {
    await core.respond(ctx, 'status', () => {
      const order = core.orders.get(ctx.params.referenceId!);
      return order
        ? { status: 200, body: view(order, core.phase(order)) }
        : { status: 404, body: { code: 'NOT_FOUND', message: 'no payout with this referenceId' } };
    });
  });
  router.post('/v1/accounts/verify', core.authenticate, async (ctx) => {
    const body = verifyBody.safeParse(ctx.request.body);
    if (!body.success) return badRequest(ctx, body.error);
    await core.respond(ctx, 'verify', () => {
      const scripted = accounts.get(body.data.accountNumber);
      const name =
        NAMES[
          parseInt(createHash('sha256').update(body.data.accountNumber).digest('hex').slice(0, 6), 16) % NAMES.length
        ]!;
      return { status: 200, body: scripted ?? { valid: true, nameAtBank: name } };
    });
  });

  return {
    router,
    core,
    reset: () => core.reset(),
    close: () => core.close(),
  };
}

export type PayoutSimulator = ReturnType<typeof createPayoutSimulator>;
