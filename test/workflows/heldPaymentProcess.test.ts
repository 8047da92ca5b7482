/**
 * The held-payment process on its own, in seconds: the real workflow code on the test Temporal
 * server, its activities replaced by a scripted provider and an in-memory hold, so each branch
 * (success, failure, refusal, polling, outage, cancel, operator decisions, recovery) is driven
 * directly. The end-to-end suites (heldPayments, operatorSafety, orphans) prove the same paths
 * against the real ledger and simulators.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { ProviderOrder, ProviderOutcome } from '../../domain/contracts';
import { paise } from '../../domain/money';
import { PROVIDER_ORDER_POLLING, scalePlan } from '../../domain/polling';
import type { StatusChange } from '../../domain/payments';
import { operatorResolveUpdate, providerEventSignal, recheckSignal } from '../../workflows/messages';
import type { RechargeInput } from '../../domain/heldKinds';
import { ScriptedWorkers, scriptedWorkers, waitUntil } from '../support/scriptedWorker';

type Answer = ProviderOutcome | { outcome: 'unknown'; providerState: 'NOT_FOUND' } | 'down';

/** A provider and a wallet in memory; every call is recorded. */
class Fake {
  calls: string[] = [];
  statuses: string[] = [];
  changes: StatusChange[] = [];
  hold: 'none' | 'active' | 'captured' | 'released' = 'none';
  refuseHold?: string;
  failReleases = 0;
  captureDelayMs = 0;
  send: Answer = { outcome: 'pending', providerState: 'PENDING' };
  checks: Answer[] = [];
  lastCheck: Answer = { outcome: 'pending', providerState: 'PENDING' };

  answer(a: Answer): ProviderOutcome | { outcome: 'unknown'; providerState: 'NOT_FOUND' } {
    if (a === 'down') throw new Error('provider down');
    return a;
  }

  activities() {
    const acts = this.steps();
    return {
      ...acts,
      async openHeldPayment(o: { processing?: StatusChange }) {
        await acts.startHeldPayment();
        await acts.holdPaymentFunds();
        if (o.processing) await acts.recordPaymentStatus(o.processing);
      },
      async settleHeldPayment(s: { commissions?: unknown; completed: StatusChange }) {
        await acts.captureHeldPayment();
        if (s.commissions) await acts.payPaymentCommissions();
        await acts.recordPaymentStatus(s.completed);
      },
    };
  }

  private steps() {
    const f = this;
    const called = (name: string) => f.calls.push(name);
    return {
      async startHeldPayment() {
        called('record');
      },
      async holdPaymentFunds() {
        called('hold');
        if (f.refuseHold)
          throw ApplicationFailure.create({ type: f.refuseHold, message: 'refused', nonRetryable: true });
        f.hold = 'active';
      },
      async sendToProvider(_order: ProviderOrder) {
        called('send');
        return f.answer(f.send);
      },
      async checkWithProvider() {
        called('check');
        f.lastCheck = f.checks.shift() ?? f.lastCheck;
        return f.answer(f.lastCheck);
      },
      async captureHeldPayment() {
        called('capture');
        await new Promise((r) => setTimeout(r, f.captureDelayMs));
        f.hold = 'captured';
        return { transactionId: 1 };
      },
      async payPaymentCommissions() {
        called('commissions');
        return [];
      },
      async releasePaymentHold() {
        called('release');
        if (f.failReleases > 0) {
          f.failReleases--;
          throw ApplicationFailure.create({ message: 'database refused', nonRetryable: true });
        }
        f.hold = 'released';
      },
      async refundReversedPayment() {
        called('refund-reversal');
      },
      async clawBackPaymentCommissions() {
        called('clawback');
        return { recovered: [], outstanding: [] };
      },
      async recordPaymentStatus(change: StatusChange) {
        f.statuses.push(change.status);
        f.changes.push(change);
      },
      async checkReversalAgainSoon() {
        called('check-again-soon');
      },
      async inspectMoney() {
        called('inspect');
        return { hold: f.hold, settled: f.hold === 'captured' };
      },
    };
  }
}

let workers: ScriptedWorkers;
beforeAll(async () => {
  workers = await scriptedWorkers();
});
afterAll(() => workers?.close());

let n = 0;
const input = (o: Partial<RechargeInput> = {}): RechargeInput => ({
  paymentId: `pay_UNIT${Date.now()}${++n}`,
  userId: 1,
  amount: paise(14_900),
  operator: 'JIO',
  circle: 'DL',
  mobile: '9876543210',
  commissionMarginRate: 300,
  polling: scalePlan(PROVIDER_ORDER_POLLING, 0.001),
  reversalWatchMs: 1_000,
  providerCallBudgetMs: 5_000,
  ...o,
});

/** Runs `scenario` with a worker whose activities are `fake`'s. */
function withWorker<T>(
  fake: Fake,
  scenario: (start: (i?: Partial<RechargeInput>) => Promise<WorkflowHandle>) => Promise<T>,
): Promise<T> {
  return workers.run(fake.activities(), (start) =>
    scenario((i = {}) => {
      const args = input(i);
      return start('rechargeWorkflow', `recharge:${args.paymentId}`, [args]);
    }),
  );
}

const succeeded: ProviderOutcome = { outcome: 'succeeded', providerState: 'SUCCESS', providerRef: 'OP1' };
const failed: ProviderOutcome = { outcome: 'failed', providerState: 'FAILURE', reason: 'invalid number' };
const pending: ProviderOutcome = { outcome: 'pending', providerState: 'PENDING' };
const notFound = { outcome: 'unknown', providerState: 'NOT_FOUND' } as const;

it('success at once: captured, commissions, COMPLETED with its reversal watch, and the workflow closes', async () => {
  const f = new Fake();
  f.send = succeeded;
  f.lastCheck = succeeded;
  const result = await withWorker(f, async (start) => (await start()).result());
  expect(result.status).toBe('COMPLETED');
  // Closed at settlement: no status checks after the capture (the read model watches for a reversal).
  expect(f.calls).toEqual(['record', 'hold', 'send', 'capture', 'commissions']);
  expect(f.statuses).toEqual(['PROCESSING', 'COMPLETED']);
  expect(f.changes[1]).toMatchObject({ status: 'COMPLETED', reversalWatchMs: 1_000 });
  expect(f.changes[0]!.reversalWatchMs).toBeUndefined();
});

it('a reversal reported while the payment was settling is booked before the workflow closes', async () => {
  const f = new Fake();
  f.send = succeeded;
  f.captureDelayMs = 1_000;
  const result = await withWorker(f, async (start) => {
    const handle = await start();
    await waitUntil(() => f.calls.includes('capture'), 10_000);
    // The provider reverses it at once; its webhook reaches the workflow before COMPLETED is recorded.
    f.lastCheck = { outcome: 'reversed', providerState: 'REVERSED' };
    await handle.signal(providerEventSignal, {
      eventKey: 'reversal-1',
      event: 'recharge.status',
      state: 'REVERSED',
      providerRef: 'p',
    });
    return handle.result();
  });
  expect(result.status).toBe('REVERSED');
  // The signal landing mid-task makes the server refuse that task's completion, so its local
  // steps (capture, commissions, COMPLETED) run again on the retry: each is idempotent.
  expect(f.calls.slice(0, 5)).toEqual(['record', 'hold', 'send', 'capture', 'commissions']);
  expect(f.calls.slice(f.calls.indexOf('check'))).toEqual(['check', 'refund-reversal', 'clawback']);
  expect([...new Set(f.statuses)]).toEqual(['PROCESSING', 'COMPLETED', 'REVERSED']);
});

describe('a reversal run (a settled payment whose workflow has closed)', () => {
  const reversal = (f: Fake) =>
    workers.run(f.activities(), async (start) =>
      (
        await start('reversalWorkflow', `recharge:pay_REV${Date.now()}${++n}:reversal`, [
          { kind: 'recharge', paymentId: 'p' },
        ])
      ).result(),
    );

  it('books what the provider reports reversed: refund, claw-back, REVERSED', async () => {
    const f = new Fake();
    f.lastCheck = { outcome: 'reversed', providerState: 'REVERSED', reason: 'operator reversal' };
    const result = await reversal(f);
    expect(result.status).toBe('REVERSED');
    expect(f.calls).toEqual(['check', 'refund-reversal', 'clawback']);
    expect(f.changes).toEqual([
      expect.objectContaining({
        status: 'REVERSED',
        failureReason: 'the recharge operator reversed the payment (operator reversal)',
      }),
    ]);
  });

  it('moves no money when the provider still says the payment succeeded (a webhook is only a hint)', async () => {
    const f = new Fake();
    f.lastCheck = succeeded;
    const result = await reversal(f);
    expect(result.status).toBe('COMPLETED');
    expect(f.calls).toEqual(['check', 'check-again-soon']);
    expect(f.statuses).toEqual([]);
  });

  it('moves no money when the provider cannot be asked; the next scheduled check asks again', async () => {
    const f = new Fake();
    f.lastCheck = 'down';
    const result = await workers.run(f.activities(), async (start) =>
      (
        await start('reversalWorkflow', `recharge:pay_REV${Date.now()}${++n}:reversal`, [
          { kind: 'recharge', paymentId: 'p', providerCallBudgetMs: 3_000 },
        ])
      ).result(),
    );
    expect(result.status).toBe('COMPLETED');
    expect(f.calls.at(-1)).toBe('check-again-soon');
    expect(f.calls.slice(0, -1).length).toBeGreaterThan(0);
    expect(f.calls.slice(0, -1).every((c) => c === 'check')).toBe(true);
    expect(f.statuses).toEqual([]);
  });
});

it('a definite failure releases the hold: FAILED with provider_failed', async () => {
  const f = new Fake();
  f.send = failed;
  const result = await withWorker(f, async (start) => (await start()).result());
  expect(result).toMatchObject({ status: 'FAILED', failureCode: 'provider_failed' });
  expect(f.calls).toEqual(['record', 'hold', 'send', 'release']);
  expect(f.hold).toBe('released');
});

it('a refused hold fails at once with the rule, nothing sent', async () => {
  const f = new Fake();
  f.refuseHold = 'insufficient_funds';
  const result = await withWorker(f, async (start) => (await start()).result());
  expect(result).toMatchObject({ status: 'FAILED', failureCode: 'insufficient_funds' });
  expect(f.calls).toEqual(['record', 'hold']);
  // Failed from CREATED: neither the read model nor the workflow's timeline was ever PROCESSING.
  expect(f.statuses).toEqual(['FAILED']);
  expect(result.timeline.map((t: { status: string }) => t.status)).toEqual(['FAILED']);
});

it('pending, then the status checks find the success', async () => {
  const f = new Fake();
  f.checks = [pending, pending, succeeded];
  const result = await withWorker(f, async (start) => (await start()).result());
  expect(result.status).toBe('COMPLETED');
  expect(f.calls.filter((c) => c === 'capture')).toHaveLength(1);
  expect(f.calls.indexOf('capture')).toBeGreaterThan(f.calls.indexOf('check'));
});

it('a provider down for the whole call budget parks the payment, money held; a recheck sends it once it is back', async () => {
  const f = new Fake();
  f.send = 'down';
  f.lastCheck = 'down';
  await withWorker(f, async (start) => {
    const h = await start();
    await waitUntil(() => f.statuses.includes('NEEDS_ATTENTION'), 20_000);
    expect(f.hold).toBe('active');
    f.send = succeeded;
    f.lastCheck = notFound;
    await h.signal(recheckSignal);
    expect((await h.result()).status).toBe('COMPLETED');
  });
  expect(f.statuses).toEqual(['PROCESSING', 'NEEDS_ATTENTION', 'COMPLETED']);
  expect(f.calls).not.toContain('release');
}, 60_000);

it('cancelled while pending: the hold stays, NEEDS_ATTENTION; a webhook with the success completes it', async () => {
  const f = new Fake();
  await withWorker(f, async (start) => {
    const h = await start({ polling: scalePlan(PROVIDER_ORDER_POLLING, 1) }); // checks far apart: only news moves it
    await waitUntil(() => f.calls.includes('send'), 10_000);
    await h.cancel();
    await waitUntil(() => f.statuses.includes('NEEDS_ATTENTION'), 10_000);
    expect(f.hold).toBe('active');
    f.lastCheck = succeeded;
    await h.signal(providerEventSignal, { eventKey: 'e1', event: 'recharge.status', state: 'SUCCESS' });
    await expect(h.result()).rejects.toThrow();
    expect((await h.describe()).status.name).toBe('CANCELLED');
  });
  expect(f.calls.filter((c) => c === 'capture')).toHaveLength(1);
  expect(f.calls).not.toContain('release');
});

it('an operator\'s "failed" asks the provider first: money it paid out is captured, not released', async () => {
  const f = new Fake();
  await withWorker(f, async (start) => {
    const h = await start({ polling: scalePlan(PROVIDER_ORDER_POLLING, 1) });
    await waitUntil(() => f.statuses.includes('PROCESSING'), 10_000);
    f.lastCheck = succeeded;
    const view = await h.executeUpdate(operatorResolveUpdate, {
      args: [{ outcome: 'failed', reason: 'customer says no' }],
    });
    expect(view.status).toBe('COMPLETED');
    expect(view.timeline.at(-1)!.note).toMatch(/confirmed the payment .* captured, not released/);
  });
  expect(f.calls).not.toContain('release');
});

it('an operator\'s "failed" whose release is refused parks; a recheck releases it, then FAILED', async () => {
  const f = new Fake();
  f.failReleases = 1;
  await withWorker(f, async (start) => {
    const h = await start({ polling: scalePlan(PROVIDER_ORDER_POLLING, 1) });
    await waitUntil(() => f.statuses.includes('PROCESSING'), 10_000);
    const parked = await h.executeUpdate(operatorResolveUpdate, {
      args: [{ outcome: 'failed', reason: 'provider confirms it failed' }],
    });
    expect(parked.status).toBe('NEEDS_ATTENTION');
    expect(f.hold).toBe('active');
    await h.signal(recheckSignal);
    expect((await h.result()).status).toBe('FAILED');
  });
  expect(f.hold).toBe('released');
  expect(f.calls.filter((c) => c === 'release')).toHaveLength(2);
});

it('recovery: no hold means nothing was sent (FAILED); an active hold is settled from the provider', async () => {
  const none = new Fake();
  const stopped = await withWorker(none, async (start) =>
    (await start({ recovery: { status: 'NEEDS_ATTENTION' } })).result(),
  );
  expect(stopped).toMatchObject({ status: 'FAILED', failureCode: 'stopped' });
  expect(none.calls).toEqual(['inspect']);

  const held = new Fake();
  held.hold = 'active';
  held.lastCheck = succeeded;
  const recovered = await withWorker(held, async (start) =>
    (await start({ recovery: { status: 'NEEDS_ATTENTION' } })).result(),
  );
  expect(recovered.status).toBe('COMPLETED');
  expect(held.calls.slice(0, 4)).toEqual(['inspect', 'check', 'capture', 'commissions']);
  expect(held.calls).not.toContain('send');
});
