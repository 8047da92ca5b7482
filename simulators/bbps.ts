/**
 * A local BBPS unit (protocol in wire.ts) under `/bbps`. The catalogue covers several categories
 * and every exactness rule. A fetched bill is deterministic: its amount and customer name derive
 * from the biller and the first customer parameter, so tests and demos can predict them; a value
 * ending in `0000` has no bill (fetch FAILURE). Payment scenarios match on that first parameter.
 */
import { createHash } from 'node:crypto';
import Router from '@koa/router';
import { createSimCore, badRequest, Phase, SimOrder } from './core';
import { billerSchema, fetchBody, payBody } from '../providers/bbps/wire';
import type { z } from 'zod';

export interface BbpsSimulatorOptions {
  apiKey: string;
  webhookSecret: string;
  webhookUrl?: string;
}

type Biller = z.infer<typeof billerSchema>;
const p = (name: string, regex: string) => [{ name, regex, optional: false }];

export const BILLERS: Biller[] = [
  {
    billerId: 'MSEDC0000MAH01',
    name: 'Maharashtra State Electricity (MSEDCL)',
    category: 'electricity',
    customerParams: p('Consumer Number', '[0-9]{10,12}'),
    fetchType: 'FETCH',
    exactness: 'EXACT',
    supportsPending: false,
  },
  {
    billerId: 'BESCOM000KAR01',
    name: 'Bangalore Electricity (BESCOM)',
    category: 'electricity',
    customerParams: p('Account ID', '[0-9]{10}'),
    fetchType: 'FETCH',
    exactness: 'EXACT_AND_ABOVE',
    supportsPending: true,
  },
  {
    billerId: 'DJB00000DEL001',
    name: 'Delhi Jal Board',
    category: 'water',
    customerParams: p('K Number', '[0-9]{10}'),
    fetchType: 'FETCH',
    exactness: 'EXACT_AND_BELOW',
    supportsPending: true,
  },
  {
    billerId: 'MGL000000MUM01',
    name: 'Mahanagar Gas',
    category: 'gas',
    customerParams: p('BP Number', '[0-9]{10}'),
    fetchType: 'FETCH',
    exactness: 'ANY',
    supportsPending: true,
  },
  {
    billerId: 'TATASKY00NAT01',
    name: 'Tata Play',
    category: 'dth',
    customerParams: p('Subscriber ID', '[0-9]{10}'),
    fetchType: 'VALIDATE',
    exactness: 'ANY',
    supportsPending: false,
  },
  {
    billerId: 'ACTFIB000NAT01',
    name: 'ACT Fibernet',
    category: 'broadband',
    customerParams: p('Account Number', '[0-9]{10}'),
    fetchType: 'FETCH',
    exactness: 'EXACT',
    supportsPending: true,
  },
  {
    billerId: 'AIRTELPOSTNAT1',
    name: 'Airtel Postpaid',
    category: 'postpaid',
    customerParams: p('Mobile Number', '[6-9][0-9]{9}'),
    fetchType: 'FETCH',
    exactness: 'EXACT_AND_ABOVE',
    supportsPending: false,
  },
  {
    billerId: 'ICICIFASTAG001',
    name: 'ICICI Bank FASTag',
    category: 'fastag',
    customerParams: p('Vehicle Number', '[A-Z]{2}[0-9]{2}[A-Z]{1,2}[0-9]{4}'),
    fetchType: 'DIRECT',
    exactness: 'ANY',
    supportsPending: false,
  },
];

const NAMES = [
  'Sanjay Patil',
  'Meera Joshi',
  'Imran Shaikh',
  'Kavita Rao',
  'Deepak Verma',
  'Fatima Begum',
  'Rohit Gupta',
  'Neha Kulkarni',
];
const FETCH_MS = 150;

interface BillFetch {
  refId: string;
  billerId: string;
  key: string;
  createdAt: number;
  bill: { customerName: string; amount: number; dueDate: string; billNumber: string; billPeriod: string } | null;
}

function billFor(billerId: string, key: string) {
  if (key.endsWith('0000')) return null;
  const h = createHash('sha256').update(`${billerId}:${key}`).digest();
  const amount = 20_000 + (h.readUInt32BE(0) % 480_000); // ₹200.00 … ₹5,000.00, to the paisa
  const due = new Date(Date.now() + (7 + (h[4]! % 20)) * 86_400_000).toISOString().slice(0, 10);
  return {
    customerName: NAMES[h[5]! % NAMES.length]!,
    amount,
    dueDate: due,
    billNumber: `BN${h.toString('hex').slice(0, 10).toUpperCase()}`,
    billPeriod: 'MONTHLY',
  };
}

const STATUS: Record<Phase, string> = {
  processing: 'PROCESSING',
  pending: 'PENDING',
  success: 'SUCCESS',
  failure: 'FAILURE',
  reversed: 'REVERSED',
};

export function createBbpsSimulator(o: BbpsSimulatorOptions) {
  const fetches = new Map<string, BillFetch>();
  let seq = 0;
  const view = (order: SimOrder<{ bbpsTxnId: string; amount: number; refId: string }>, phase: Phase) => ({
    paymentRefId: order.ref,
    status: STATUS[phase],
    bbpsTxnId: order.data.bbpsTxnId,
    ...(phase === 'success' || phase === 'reversed' ? { billerRefId: `BR${order.data.bbpsTxnId.slice(-8)}` } : {}),
    ...(phase === 'failure' ? { failureReason: order.scenario.failureReason ?? 'biller rejected the payment' } : {}),
    ...(phase === 'reversed' ? { failureReason: 'deemed success reversed by the biller' } : {}),
  });
  const core = createSimCore<{ bbpsTxnId: string; amount: number; refId: string }>({
    name: 'bbps',
    ...o,
    view,
    onReset: () => fetches.clear(),
    webhookBody: (order, phase) => ({ event: 'bill.payment', payload: view(order, phase) }),
  });
  const fetchView = (f: BillFetch) => {
    const done = Date.now() - f.createdAt >= FETCH_MS;
    return {
      refId: f.refId,
      billerId: f.billerId,
      status: !done ? 'PROCESSING' : f.bill ? 'SUCCESS' : 'FAILURE',
      ...(done && f.bill ? { bill: f.bill } : {}),
      ...(done && !f.bill ? { failureReason: 'no bill is due for these details' } : {}),
    };
  };

  const router = new Router({ prefix: '/bbps' });
  core.controlRoutes(router);
  router.get('/v1/billers', core.authenticate, async (ctx) => {
    const category = typeof ctx.query.category === 'string' ? ctx.query.category : undefined;
    await core.respond(ctx, 'billers', () => ({
      status: 200,
      body: { billers: category ? BILLERS.filter((b) => b.category === category) : BILLERS },
    }));
  });
  router.post('/v1/bills/fetch', core.authenticate, async (ctx) => {
    const body = fetchBody.safeParse(ctx.request.body);
    if (!body.success) return badRequest(ctx, body.error);
    const biller = BILLERS.find((b) => b.billerId === body.data.billerId);
    if (!biller) {
      ctx.status = 404;
      ctx.body = { code: 'BILLER_NOT_FOUND', message: 'unknown billerId' };
      return;
    }
    const param = biller.customerParams[0]!;
    const key = body.data.customerParams[param.name] ?? '';
    if (!new RegExp(`^(?:${param.regex})$`).test(key)) {
      ctx.status = 400;
      ctx.body = { code: 'INVALID_CUSTOMER_PARAMS', message: `${param.name} must match ${param.regex}` };
      return;
    }
    await core.respond(ctx, 'fetch', () => {
      const f: BillFetch = {
        refId: `BF${Date.now().toString(36).toUpperCase()}${String(++seq).padStart(6, '0')}`,
        billerId: biller.billerId,
        key,
        createdAt: Date.now(),
        bill: billFor(biller.billerId, key),
      };
      fetches.set(f.refId, f);
      return { status: 202, body: { refId: f.refId, status: 'PROCESSING' } };
    });
  });
  router.get('/v1/bills/fetch/:refId', core.authenticate, async (ctx) => {
    await core.respond(ctx, 'fetch_status', () => {
      const f = fetches.get(ctx.params.refId!);
      return f
        ? { status: 200, body: fetchView(f) }
        : { status: 404, body: { code: 'NOT_FOUND', message: 'no fetch with this refId' } };
    });
  });
  router.post('/v1/bills/pay', core.authenticate, async (ctx) => {
    const body = payBody.safeParse(ctx.request.body);
    if (!body.success) return badRequest(ctx, body.error);
    const existing = core.orders.get(body.data.paymentRefId);
    const f = fetches.get(body.data.refId);
    if (!existing) {
      if (!f) {
        ctx.status = 404;
        ctx.body = { code: 'FETCH_NOT_FOUND', message: 'unknown refId' };
        return;
      }
      const fv = fetchView(f);
      if (fv.status !== 'SUCCESS') {
        ctx.status = 400;
        ctx.body = { code: 'BILL_NOT_FETCHED', message: `the bill fetch is ${fv.status}` };
        return;
      }
      const exactness = BILLERS.find((b) => b.billerId === f.billerId)!.exactness;
      const a = body.data.amount;
      const bill = f.bill!.amount;
      const fits =
        exactness === 'ANY' ||
        (exactness === 'EXACT' ? a === bill : exactness === 'EXACT_AND_ABOVE' ? a >= bill : a <= bill);
      if (!fits) {
        ctx.status = 400;
        ctx.body = {
          code: 'AMOUNT_NOT_ALLOWED',
          message: `amount does not satisfy ${exactness} for a bill of ${bill} paise`,
        };
        return;
      }
    }
    await core.respond(ctx, 'pay', () => {
      const { order } = core.create(body.data.paymentRefId, f?.key ?? '', {
        bbpsTxnId: `CC01${String(++seq).padStart(8, '0')}`,
        amount: body.data.amount,
        refId: body.data.refId,
      });
      if (order.data.amount !== body.data.amount || order.data.refId !== body.data.refId) {
        return {
          status: 409,
          body: { code: 'DUPLICATE_PAYMENT_REF', message: 'paymentRefId already used for another payment' },
        };
      }
      return { status: 200, body: view(order, core.phase(order)) };
    });
  });
  router.get('/v1/bills/payments/:paymentRefId', core.authenticate, async (ctx) => {
    await core.respond(ctx, 'status', () => {
      const order = core.orders.get(ctx.params.paymentRefId!);
      return order
        ? { status: 200, body: view(order, core.phase(order)) }
        : { status: 404, body: { code: 'NOT_FOUND', message: 'no payment with this paymentRefId' } };
    });
  });
  return {
    router,
    core,
    fetches,
    reset: () => core.reset(),
    close: () => core.close(),
  };
}

export type BbpsSimulator = ReturnType<typeof createBbpsSimulator>;
