/**
 * A top-up's order step with PhonePe in memory: every attempt asks PhonePe before creating, so an
 * attempt whose earlier one created the order (its answer lost), or a step run again after a
 * workflow reset, finds the order instead of creating it twice; its page is then lost. Skipping
 * the question on a first attempt was tried and reverted (docs/performance.md): after a reset it
 * would rest on PhonePe refusing a reused merchantOrderId, which PhonePe does not document. The
 * top-up suites drive the same step against the simulator.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Knex } from 'knex';
import { topUpActivities } from '../../activities/topup';
import type { Ledger } from '../../db/ledger';
import { paise } from '../../domain/money';
import type { PhonePeGateway, PhonePeOrder } from '../../providers/phonepe/client';

/** PhonePe's orders in memory, every call made to it, and the order step over it (no database touched). */
function phonePe() {
  const orders = new Map<string, PhonePeOrder>();
  const calls: string[] = [];
  const gateway: PhonePeGateway = {
    async createOrder(req) {
      calls.push(`create ${req.merchantOrderId}`);
      orders.set(req.merchantOrderId, { state: 'PENDING', amount: req.amount, expireAt: Date.now() + 600_000 });
      return { redirectUrl: `https://phonepe.example/${req.merchantOrderId}`, expireAt: Date.now() + 600_000 };
    },
    async findOrder(id) {
      calls.push(`find ${id}`);
      return orders.get(id) ?? null;
    },
    createRefund: () => Promise.reject(new Error('not used')),
    findRefund: () => Promise.reject(new Error('not used')),
  };
  const { createPhonePeOrder } = topUpActivities({ knex: {} as Knex, ledger: {} as Ledger, phonepe: gateway });
  return { calls, orders, createPhonePeOrder };
}

const request = {
  paymentId: 'pay_ORDER1',
  amount: paise(50_000),
  redirectUrl: 'https://nexaspay.example/back',
  expireAfterSeconds: 600,
};
type Step = ReturnType<typeof phonePe>['createPhonePeOrder'];
/** The step run as its `k`th attempt in a worker. */
const asAttempt = (k: number, step: Step): ReturnType<Step> =>
  new MockActivityEnvironment({ attempt: k }).run(step, request);

it('a first attempt asks PhonePe, then creates the order', async () => {
  const { calls, createPhonePeOrder } = phonePe();
  const order = await asAttempt(1, createPhonePeOrder);
  expect(order.redirectUrl).toBe('https://phonepe.example/pay_ORDER1');
  expect(calls).toEqual(['find pay_ORDER1', 'create pay_ORDER1']);
});

it('a retry finds the order an earlier attempt created: its page is lost, nothing is created twice', async () => {
  const { calls, createPhonePeOrder } = phonePe();
  // The first attempt created the order, and its answer never came back.
  await asAttempt(1, createPhonePeOrder);
  const order = await asAttempt(2, createPhonePeOrder);
  expect(order.redirectUrl).toBeNull();
  expect(calls).toEqual(['find pay_ORDER1', 'create pay_ORDER1', 'find pay_ORDER1']);
});

it('a first attempt again after a workflow reset finds the order the first run created', async () => {
  const { calls, createPhonePeOrder } = phonePe();
  await asAttempt(1, createPhonePeOrder);
  // Reset: the step is scheduled anew, and Temporal counts its attempts from 1 again.
  const order = await asAttempt(1, createPhonePeOrder);
  expect(order.redirectUrl).toBeNull();
  expect(calls.filter((c) => c.startsWith('create'))).toEqual(['create pay_ORDER1']);
});

it('after a reset, an order found paid says so: the workflow settles from it instead of opening another', async () => {
  const { calls, orders, createPhonePeOrder } = phonePe();
  const first = await asAttempt(1, createPhonePeOrder);
  expect(first.paid).toBeUndefined();
  // The customer paid the first run's page; then the workflow was reset to before this step.
  orders.set('pay_ORDER1', { ...orders.get('pay_ORDER1')!, state: 'COMPLETED' });
  const order = await asAttempt(1, createPhonePeOrder);
  expect(order).toMatchObject({ redirectUrl: null, paid: true });
  expect(calls.filter((c) => c.startsWith('create'))).toEqual(['create pay_ORDER1']);
});

it('outside a worker it asks PhonePe first too', async () => {
  const { calls, createPhonePeOrder } = phonePe();
  await createPhonePeOrder(request);
  expect(calls).toEqual(['find pay_ORDER1', 'create pay_ORDER1']);
});
