/** A local recharge aggregator (protocol in wire.ts) under `/recharge`; scenarios match on the mobile number. */
import Router from '@koa/router';
import { badRequest, createSimCore, Phase, SimOrder } from './core';
import { rechargeBody } from '../providers/recharge/wire';

export interface RechargeSimulatorOptions {
  apiKey: string;
  webhookSecret: string;
  webhookUrl?: string;
}

const CIRCLES = [
  ['AP', 'Andhra Pradesh'],
  ['AS', 'Assam'],
  ['BR', 'Bihar & Jharkhand'],
  ['DL', 'Delhi NCR'],
  ['GJ', 'Gujarat'],
  ['HR', 'Haryana'],
  ['KA', 'Karnataka'],
  ['KL', 'Kerala'],
  ['KO', 'Kolkata'],
  ['MH', 'Maharashtra & Goa'],
  ['MP', 'Madhya Pradesh & Chhattisgarh'],
  ['MU', 'Mumbai'],
  ['OR', 'Odisha'],
  ['PB', 'Punjab'],
  ['RJ', 'Rajasthan'],
  ['TN', 'Tamil Nadu'],
  ['UPE', 'UP East'],
  ['UPW', 'UP West & Uttarakhand'],
  ['WB', 'West Bengal'],
].map(([code, name]) => ({ code: code!, name: name! }));

export const OPERATORS = [
  { code: 'JIO', name: 'Reliance Jio', circles: CIRCLES, minAmount: 10, maxAmount: 5000 },
  { code: 'AIRTEL', name: 'Airtel', circles: CIRCLES, minAmount: 10, maxAmount: 5000 },
  { code: 'VI', name: 'Vodafone Idea', circles: CIRCLES, minAmount: 10, maxAmount: 5000 },
  {
    code: 'BSNL',
    name: 'BSNL',
    circles: CIRCLES.filter((c) => !['DL', 'MU'].includes(c.code)),
    minAmount: 10,
    maxAmount: 3000,
  },
  {
    code: 'MTNL',
    name: 'MTNL',
    circles: CIRCLES.filter((c) => ['DL', 'MU'].includes(c.code)),
    minAmount: 10,
    maxAmount: 3000,
  },
] as const;

const STATUS: Record<Phase, string> = {
  processing: 'PENDING',
  pending: 'PENDING',
  success: 'SUCCESS',
  failure: 'FAILURE',
  reversed: 'REVERSED',
};

export function createRechargeSimulator(o: RechargeSimulatorOptions) {
  let seq = 0;
  const view = (order: SimOrder<{ operatorRef: string; amount: number }>, phase: Phase) => ({
    clientRef: order.ref,
    status: STATUS[phase],
    ...(phase === 'success' || phase === 'reversed' ? { operatorRef: order.data.operatorRef } : {}),
    message:
      phase === 'failure'
        ? (order.scenario.failureReason ?? 'operator declined the recharge')
        : phase === 'reversed'
          ? 'recharge reversed by the operator'
          : phase === 'success'
            ? 'recharge successful'
            : 'recharge in progress',
  });
  const core = createSimCore<{ operatorRef: string; amount: number }>({
    name: 'recharge',
    ...o,
    view,
    webhookBody: (order, phase) => ({ event: 'recharge.status', payload: view(order, phase) }),
  });
  const router = new Router({ prefix: '/recharge' });
  core.controlRoutes(router);

  router.get('/v1/operators', core.authenticate, async (ctx) => {
    await core.respond(ctx, 'operators', () => ({ status: 200, body: { operators: OPERATORS } }));
  });
  router.post('/v1/recharges', core.authenticate, async (ctx) => {
    const body = rechargeBody.safeParse(ctx.request.body);
    if (!body.success) return badRequest(ctx, body.error);
    const op = OPERATORS.find((x) => x.code === body.data.operator)!;
    if (!op.circles.some((c) => c.code === body.data.circle)) {
      ctx.status = 400;
      ctx.body = { code: 'INVALID_CIRCLE', message: `${op.name} does not serve circle ${body.data.circle}` };
      return;
    }
    if (body.data.amount < op.minAmount || body.data.amount > op.maxAmount) {
      ctx.status = 400;
      ctx.body = { code: 'INVALID_AMOUNT', message: `${op.name} recharges are ₹${op.minAmount}-₹${op.maxAmount}` };
      return;
    }
    await core.respond(ctx, 'create', () => {
      const { order } = core.create(body.data.clientRef, body.data.mobile, {
        operatorRef: `${op.code}${String(++seq).padStart(10, '0')}`,
        amount: body.data.amount,
      });
      if (order.data.amount !== body.data.amount)
        return {
          status: 409,
          body: { code: 'DUPLICATE_CLIENT_REF', message: 'clientRef already used for another amount' },
        };
      return { status: 200, body: view(order, core.phase(order)) };
    });
  });
  router.get('/v1/recharges/:clientRef', core.authenticate, async (ctx) => {
    await core.respond(ctx, 'status', () => {
      const order = core.orders.get(ctx.params.clientRef!);
      return order
        ? { status: 200, body: view(order, core.phase(order)) }
        : { status: 404, body: { code: 'NOT_FOUND', message: 'no recharge with this clientRef' } };
    });
  });
  return { router, core, reset: () => core.reset(), close: () => core.close() };
}

export type RechargeSimulator = ReturnType<typeof createRechargeSimulator>;
