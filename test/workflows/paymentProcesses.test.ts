/**
 * The top-up, refund and transfer processes on their own, in seconds: the real workflow code on
 * the test Temporal server with scripted activities (PhonePe and the ledger in memory). The
 * end-to-end suites prove the same paths against MariaDB and the simulators.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TransferInput } from '../../domain/contracts';
import { paise } from '../../domain/money';
import type { StatusChange } from '../../domain/payments';
import { PHONEPE_POLLING, scalePlan } from '../../domain/polling';
import { operatorResolveUpdate, topUpStartedUpdate } from '../../workflows/messages';
import type { RefundInput } from '../../workflows/refund';
import type { TopUpInput } from '../../workflows/topup';
import { ScriptedWorkers, scriptedWorkers, waitUntil } from '../support/scriptedWorker';

let workers: ScriptedWorkers;
beforeAll(async () => {
  workers = await scriptedWorkers();
});
afterAll(() => workers?.close());

let n = 0;
const id = () => `pay_UNIT${Date.now()}${++n}`;

describe('top-up', () => {
  /** PhonePe's orders by merchant order id, and what the books did. */
  function phonePe() {
    const f = {
      orders: new Map<string, { state: 'PENDING' | 'COMPLETED' | 'FAILED'; amount: number }>(),
      lostPages: 0,
      credited: [] as number[],
      failed: 0,
      statuses: [] as string[],
      activities: {
        async startTopUp() {},
        async createPhonePeOrder(r: { paymentId: string; merchantOrderId?: string; amount: number }) {
          const orderId = r.merchantOrderId ?? r.paymentId;
          f.orders.set(orderId, { state: 'PENDING', amount: r.amount });
          if (f.lostPages > 0) {
            f.lostPages--;
            return { redirectUrl: null, expireAt: Date.now() + 60_000 };
          }
          return { redirectUrl: `https://phonepe.example/${orderId}`, expireAt: Date.now() + 60_000 };
        },
        async checkPhonePeOrder(merchantOrderId: string) {
          const o = f.orders.get(merchantOrderId);
          return o ? { state: o.state, amount: o.amount } : { state: 'NOT_FOUND' };
        },
        async creditTopUp(c: { amount: number }) {
          f.credited.push(c.amount);
          return { journalId: 1 };
        },
        async failTopUp() {
          f.failed++;
        },
        async recordPaymentStatus(c: StatusChange) {
          f.statuses.push(c.status);
        },
        async inspectMoney() {
          return { hold: 'none', settled: f.credited.length > 0 };
        },
      },
    };
    return f;
  }

  /** The client gets the second order's page; paid there, the top-up is credited once, COMPLETED. */
  async function expectPaidOnSecondOrder(f: ReturnType<typeof phonePe>, paymentId: string) {
    const result = await workers.run(f.activities, async (start) => {
      const h = await start('topUpWorkflow', `topup:${paymentId}`, [topUp(paymentId)]);
      const page = await h.executeUpdate(topUpStartedUpdate);
      expect(page.redirectUrl).toBe(`https://phonepe.example/${paymentId}-2`);
      f.orders.get(`${paymentId}-2`)!.state = 'COMPLETED';
      return h.result();
    });
    expect(result.status).toBe('COMPLETED');
    expect(f.credited).toEqual([50_000]);
  }

  const topUp = (paymentId: string): TopUpInput => ({
    paymentId,
    userId: 1,
    userCode: 'NP1',
    amount: paise(50_000),
    redirectUrl: 'https://nexaspay.example/back',
    expireAfterSeconds: 300,
    polling: scalePlan(PHONEPE_POLLING, 0.001),
    awaitingWindowMs: 3_000,
  });

  it('paid: credited once, COMPLETED', async () => {
    const f = phonePe();
    const paymentId = id();
    const result = await workers.run(f.activities, async (start) => {
      const h = await start('topUpWorkflow', `topup:${paymentId}`, [topUp(paymentId)]);
      await waitUntil(() => f.orders.has(paymentId), 10_000);
      f.orders.get(paymentId)!.state = 'COMPLETED';
      return h.result();
    });
    expect(result.status).toBe('COMPLETED');
    expect(f.credited).toEqual([50_000]);
  });

  it('a lost payment page gets a second order, whose payment is credited', async () => {
    const f = phonePe();
    f.lostPages = 1;
    const paymentId = id();
    await expectPaidOnSecondOrder(f, paymentId);
  });

  it('an order refused as already existing: the workflow finds it at PhonePe and opens a second order', async () => {
    const f = phonePe();
    const paymentId = id();
    // A slow attempt and its retry both found no order and both sent it: the later send is refused.
    f.orders.set(paymentId, { state: 'PENDING', amount: 50_000 });
    const create = f.activities.createPhonePeOrder;
    f.activities.createPhonePeOrder = async (r) => {
      if (f.orders.has(r.merchantOrderId ?? r.paymentId))
        throw ApplicationFailure.nonRetryable('merchantOrderId was already used', 'provider_rejected');
      return create(r);
    };
    await expectPaidOnSecondOrder(f, paymentId);
  });

  /**
   * A workflow reset to before its order step finds the first order paid: it is credited from
   * that order, no second order is opened (it could be paid too), and a client asking for the page
   * is told to read the payment instead.
   */
  async function expectCreditedFromPaidFirstOrder(f: ReturnType<typeof phonePe>, paymentId: string) {
    const result = await workers.run(f.activities, async (start) => {
      const h = await start('topUpWorkflow', `topup:${paymentId}`, [topUp(paymentId)]);
      await expect(h.executeUpdate(topUpStartedUpdate)).rejects.toMatchObject({
        cause: { type: 'invalid_state', message: expect.stringMatching(/already paid at PhonePe/) },
      });
      return h.result();
    });
    expect(result.status).toBe('COMPLETED');
    expect(f.credited).toEqual([50_000]);
    expect([...f.orders.keys()]).toEqual([paymentId]);
    // Settled at once from CREATED: the read model may be past AWAITING_PAYMENT after a reset.
    expect(f.statuses).toEqual(['COMPLETED']);
  }

  /** The order step as it answers for an order PhonePe already has: found, not created again. */
  const findingOrders =
    (f: ReturnType<typeof phonePe>) => async (r: { paymentId: string; merchantOrderId?: string }) => {
      const o = f.orders.get(r.merchantOrderId ?? r.paymentId)!;
      return { redirectUrl: null, expireAt: Date.now() + 60_000, ...(o.state === 'COMPLETED' ? { paid: true } : {}) };
    };

  it('a reset finds its first order already paid: credited from it, no second order', async () => {
    const f = phonePe();
    const paymentId = id();
    f.orders.set(paymentId, { state: 'COMPLETED', amount: 50_000 });
    f.activities.createPhonePeOrder = findingOrders(f);
    await expectCreditedFromPaidFirstOrder(f, paymentId);
  });

  it('a reset finds its first order paid with another amount: parked for an operator, who credits what was paid', async () => {
    const f = phonePe();
    const paymentId = id();
    f.orders.set(paymentId, { state: 'COMPLETED', amount: 45_000 });
    f.activities.createPhonePeOrder = findingOrders(f);
    const result = await workers.run(f.activities, async (start) => {
      const h = await start('topUpWorkflow', `topup:${paymentId}`, [topUp(paymentId)]);
      await waitUntil(() => f.statuses.includes('NEEDS_ATTENTION'), 20_000);
      await h.executeUpdate(operatorResolveUpdate, { args: [{ outcome: 'succeeded', reason: 'customer paid 450' }] });
      return h.result();
    });
    expect(result.status).toBe('COMPLETED');
    expect(f.credited).toEqual([45_000]);
    expect([...f.orders.keys()]).toEqual([paymentId]);
  });

  it('a send refused as already existing, its order found paid: credited from it, no second order', async () => {
    const f = phonePe();
    const paymentId = id();
    f.orders.set(paymentId, { state: 'COMPLETED', amount: 50_000 });
    f.activities.createPhonePeOrder = async () => {
      throw ApplicationFailure.nonRetryable('merchantOrderId was already used', 'provider_rejected');
    };
    await expectCreditedFromPaidFirstOrder(f, paymentId);
  });

  it('a different amount confirmed waits for an operator, who credits what was paid', async () => {
    const f = phonePe();
    const paymentId = id();
    const result = await workers.run(f.activities, async (start) => {
      const h = await start('topUpWorkflow', `topup:${paymentId}`, [topUp(paymentId)]);
      await waitUntil(() => f.orders.has(paymentId), 10_000);
      f.orders.set(paymentId, { state: 'COMPLETED', amount: 45_000 });
      await waitUntil(() => f.statuses.includes('NEEDS_ATTENTION'), 20_000);
      await h.executeUpdate(operatorResolveUpdate, { args: [{ outcome: 'succeeded', reason: 'customer paid 450' }] });
      return h.result();
    });
    expect(result.status).toBe('COMPLETED');
    expect(f.credited).toEqual([45_000]);
  });
});

describe('refund', () => {
  function books(refundStates: string[]) {
    const f = {
      hold: 'none' as 'none' | 'active' | 'captured' | 'released',
      requested: 0,
      statuses: [] as string[],
      activities: {
        async startRefund() {
          return { userId: 1 };
        },
        async holdRefundAmount() {
          f.hold = 'active';
        },
        async requestPhonePeRefund() {
          f.requested++;
          return { state: 'PENDING', amount: 100 };
        },
        async checkPhonePeRefund() {
          return { state: refundStates.shift() ?? 'PENDING', amount: 100 };
        },
        async captureRefund() {
          f.hold = 'captured';
        },
        async releaseRefundHold() {
          f.hold = 'released';
        },
        async recordPaymentStatus(c: StatusChange) {
          f.statuses.push(c.status);
        },
        async inspectMoney() {
          return { hold: f.hold, settled: f.hold === 'captured' };
        },
      },
    };
    return f;
  }
  const refund = (refundId: string): RefundInput => ({
    refundId,
    topUpId: 'pay_TOPUP',
    amount: paise(10_000),
    reason: 'asked',
    requestedBy: 'NP1',
    polling: scalePlan(PHONEPE_POLLING, 0.001),
    providerCallBudgetMs: 5_000,
  });

  it.each([
    ['COMPLETED', 'COMPLETED', 'captured'],
    ['FAILED', 'FAILED', 'released'],
  ] as const)('PhonePe says %s: the refund is %s, the hold %s', async (state, status, hold) => {
    const f = books(['CONFIRMED', state]);
    const refundId = id();
    const result = await workers.run(f.activities, async (start) =>
      (await start('refundWorkflow', `refund:${refundId}`, [refund(refundId)])).result(),
    );
    expect(result.status).toBe(status);
    expect(f.hold).toBe(hold);
    expect(f.requested).toBe(1);
  });

  it('cancelled while PhonePe is working: the hold stays and the refund parks; never released', async () => {
    const f = books([]);
    const refundId = id();
    await workers.run(f.activities, async (start) => {
      const h = await start('refundWorkflow', `refund:${refundId}`, [
        { ...refund(refundId), polling: PHONEPE_POLLING },
      ]);
      await waitUntil(() => f.statuses.includes('PROCESSING'), 10_000);
      await h.cancel();
      await waitUntil(() => f.statuses.includes('NEEDS_ATTENTION'), 10_000);
      await h.terminate('end of test');
    });
    expect(f.hold).toBe('active');
  });
});

describe('transfer', () => {
  const transfer = (paymentId: string): TransferInput => ({
    paymentId,
    senderId: 1,
    senderCode: 'NP1',
    recipientId: 2,
    recipientCode: 'NP2',
    amount: paise(500),
  });
  const activities = (o: { refuse?: string; posted?: boolean }) => {
    const f = {
      posted: o.posted ?? false,
      /** The statuses recorded: by the one step (with its COMPLETED) and by the status step. */
      recorded: [] as string[],
      activities: {
        async completeTransfer(t: { completed: StatusChange }) {
          if (o.refuse) throw ApplicationFailure.create({ type: o.refuse, message: 'refused', nonRetryable: true });
          f.posted = true;
          f.recorded.push(`${t.completed.status} (with the posting): ${t.completed.note}`);
        },
        async recordPaymentStatus(change: StatusChange) {
          f.recorded.push(change.status);
        },
        async inspectMoney() {
          return { hold: 'none', settled: f.posted };
        },
      },
    };
    return f;
  };

  it.each(['transferWorkflowV2', 'transferWorkflow'])(
    '%s: posted, COMPLETED; refused, FAILED with the rule; recovered, settled by whether it was posted',
    async (workflowType) => {
      const run = async (f: ReturnType<typeof activities>, extra: object = {}) => {
        const paymentId = id();
        return workers.run(f.activities, async (start) =>
          (await start(workflowType, `transfer:${paymentId}`, [{ ...transfer(paymentId), ...extra }])).result(),
        );
      };
      const posted = activities({});
      expect((await run(posted)).status).toBe('COMPLETED');
      expect(posted.recorded).toEqual(['COMPLETED (with the posting): transferred to NP2']);
      const refused = activities({ refuse: 'insufficient_funds' });
      expect(await run(refused)).toMatchObject({ status: 'FAILED', failureCode: 'insufficient_funds' });
      expect(refused.recorded).toEqual(['FAILED']);
      expect((await run(activities({ posted: true }), { recovery: { status: 'NEEDS_ATTENTION' } })).status).toBe(
        'COMPLETED',
      );
      expect((await run(activities({}), { recovery: { status: 'NEEDS_ATTENTION' } })).status).toBe('FAILED');
    },
  );

  it('transferWorkflowV2 leaves no patch marker and no TemporalChangeVersion upsert in its history', async () => {
    const paymentId = id();
    const history = await workers.run(activities({}).activities, async (start) => {
      const handle = await start('transferWorkflowV2', `transfer:${paymentId}`, [transfer(paymentId)]);
      await handle.result();
      return handle.fetchHistory();
    });
    const events = history.events ?? [];
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(1);
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(0);
    const upserted = events.flatMap((e) =>
      Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
    );
    expect(upserted).toEqual(['PaymentStatus']);
  });
});
