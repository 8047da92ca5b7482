/**
 * Payouts, recharges and bills when things go wrong: a create that times out after taking
 * effect, or fails with a 5xx, is resolved without a second order; ops settle a pending payment
 * with operatorResolve; the signed webhook routes refuse forgeries and stale signatures, keep
 * what they cannot deliver, and store a repeated delivery once.
 */
import { signWebhook } from '../../providers/signedWebhook';
import { control, payer, prepare } from '../support/heldPayments';
import { expectLedgerInvariants, walletOf } from '../support/ledger';
import {
  adminToken,
  PaymentsHarness,
  paymentStatus,
  postingsFor,
  startPaymentsHarness,
  waitForStatus,
} from '../support/payments';
import { PROVIDER_CREDS } from '../support/simulators';

let h: PaymentsHarness;
beforeAll(async () => {
  h = await startPaymentsHarness({ reversalWatchSeconds: 1 });
});
afterAll(() => h?.close());
afterEach(() => expectLedgerInvariants(h.db.knex));

describe('unknown outcomes at the provider', () => {
  it('a recharge whose create timed out after taking effect is found, not sent again', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({ match: r.match, outcome: 'success' });
    // The client gives up after 2 s; the simulator answers after 3 s, having recharged.
    await control(h, 'recharge').fault({ endpoint: 'create', kind: 'timeout_after_effect', delayMs: 3000 });
    const res = await r.pay('149.00');
    const paymentId = res.body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    expect(await control(h, 'recharge').transaction(paymentId)).toMatchObject({ createCount: 1, duplicateRequests: 0 });
    const creates = (await control(h, 'recharge').requests()).filter(
      (x) => x.method === 'POST' && x.body?.clientRef === paymentId,
    );
    expect(creates).toHaveLength(1);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9851.00', held: '0.00' });
  });

  it('a payout create that failed with a 5xx (no effect) is sent again once the provider is back', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'payout', p);
    await control(h, 'payout').scenario({ match: r.match, outcome: 'success' });
    await control(h, 'payout').fault({ endpoint: 'create', kind: 'error_5xx', count: 2 });
    const res = await r.pay('75.00');
    const paymentId = res.body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    expect(await control(h, 'payout').transaction(paymentId)).toMatchObject({ createCount: 1 });
    expect(await postingsFor(h, `payout:${paymentId}:capture`)).toHaveLength(1);
  });
});

describe('operator decisions', () => {
  it('a pending recharge resolved "failed" releases the hold; a pending bill resolved "succeeded" is captured with commissions', async () => {
    const admin = await adminToken(h);
    const p = await payer(h);
    const recharge = await prepare(h, 'recharge', p);
    const bill = await prepare(h, 'bill', p);
    await control(h, 'recharge').scenario({ match: recharge.match, outcome: 'pending' });
    await control(h, 'bill').scenario({ match: bill.match, outcome: 'pending' });
    const r1 = (await recharge.pay('99.00')).body.paymentId as string;
    const r2 = (await bill.pay('300.00')).body.paymentId as string;
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '10000.00', held: '399.00' });

    const resolve = (id: string, body: object) =>
      h.http().post(`/v1/admin/payments/${id}/resolve`).set('Authorization', `Bearer ${admin}`).send(body);
    const failed = await resolve(r1, { outcome: 'failed', reason: 'operator confirms the recharge never happened' });
    expect(failed.status).toBe(200);
    expect(failed.body.status).toBe('FAILED');
    const done = await resolve(r2, { outcome: 'succeeded', reason: 'BBPS support confirmed payment' });
    expect(done.body.status).toBe('COMPLETED');
    const timeline = (await paymentStatus(h, p.token, r2)).timeline;
    expect(timeline.at(-1)).toMatchObject({ status: 'COMPLETED', note: 'operator: BBPS support confirmed payment' });
    expect(timeline.at(-1)!.actor).toMatch(/^NP\d+/);
    expect(await walletOf(h.db.knex, p.id)).toEqual({ balance: '9700.00', held: '0.00' });
    expect(await postingsFor(h, `commission:${r2}`)).toHaveLength(1);
    // Once settled, a second decision is refused.
    expect((await resolve(r2, { outcome: 'failed', reason: 'too late now' })).status).toBe(409);
  });
});

describe('signed webhook routes', () => {
  const body = (ref: string, status = 'SUCCESS') =>
    JSON.stringify({ event: 'recharge.status', payload: { clientRef: ref, status, message: 'x' } });
  const send = (raw: string, signature?: string) => {
    const req = h.http().post('/v1/webhooks/recharge').set('content-type', 'application/json');
    return (signature ? req.set('X-Signature', signature) : req).send(raw);
  };
  const stored = (ref: string) => h.db.knex('webhook_events').where({ provider: 'recharge', provider_ref: ref });

  it('refuses a forged, missing or stale signature before storing anything', async () => {
    const raw = body('pay_forged');
    expect((await send(raw, signWebhook(raw, 'not-the-secret-at-all'))).status).toBe(401);
    expect((await send(raw)).status).toBe(401);
    const stale = signWebhook(raw, PROVIDER_CREDS.recharge.webhookSecret, Math.floor(Date.now() / 1000) - 301);
    expect((await send(raw, stale)).status).toBe(401);
    expect(await stored('pay_forged')).toHaveLength(0);
  });

  it('answers 400 to a well-signed malformed body, 404 to an unknown payment (kept), and stores a repeat once', async () => {
    const bad = JSON.stringify({ event: 'recharge.status', payload: { status: 'SUCCESS' } });
    expect((await send(bad, signWebhook(bad, PROVIDER_CREDS.recharge.webhookSecret))).status).toBe(400);
    const raw = body('pay_01ZZZZZZZZZZZZZZZZZZZZZZZZ');
    const sig = signWebhook(raw, PROVIDER_CREDS.recharge.webhookSecret);
    expect((await send(raw, sig)).status).toBe(404);
    expect((await send(raw, sig)).status).toBe(404);
    expect(await stored('pay_01ZZZZZZZZZZZZZZZZZZZZZZZZ')).toHaveLength(1);
  });
});

describe('the Temporal UI reads like a payments console', () => {
  const text = (p?: { data?: Uint8Array | null } | null) =>
    p?.data ? JSON.parse(Buffer.from(p.data).toString()) : undefined;

  it('a recharge shows a summary and details, every activity and timer a summary, and its step as current details', async () => {
    const p = await payer(h);
    const r = await prepare(h, 'recharge', p);
    await control(h, 'recharge').scenario({
      match: r.match,
      outcome: 'pending_then_success',
      pendingMs: 1500,
      webhook: 'drop',
    });
    const paymentId = (await r.pay('149.00')).body.paymentId as string;
    await waitForStatus(h, p.token, paymentId, 'COMPLETED', 30_000);
    const handle = h.client.workflow.getHandle(`recharge:${paymentId}`);
    const desc = await handle.describe();
    expect(await desc.staticSummary()).toBe(
      `Recharge ₹149.00 · JIO · ${r.match.slice(0, 2)}xxxxx${r.match.slice(-3)} · ${p.userCode}`,
    );
    expect(await desc.staticDetails()).toMatch(/\*\*Mobile\*\*: \d{2}x{5}\d{3}/);
    expect(await desc.staticDetails()).not.toContain(r.match);

    // Provider calls are regular activities; database steps are local ones, recorded as markers
    // when their workflow task completes, which can be just after the COMPLETED row is visible.
    const summariesIn = (events: Awaited<ReturnType<typeof handle.fetchHistory>>['events']) =>
      (events ?? [])
        .filter(
          (e) =>
            e.activityTaskScheduledEventAttributes ||
            e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
        )
        .map((e) => text(e.userMetadata?.summary));
    let events = (await handle.fetchHistory()).events ?? [];
    for (let i = 0; i < 50 && !summariesIn(events).some((s) => /then COMPLETED/.test(s)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = (await handle.fetchHistory()).events ?? [];
    }
    const activitySummaries = summariesIn(events);
    expect(activitySummaries).toEqual(
      expect.arrayContaining([
        'recording the payment, holding ₹149.00 on the wallet, then PROCESSING',
        'sending the order to the recharge operator',
        'capturing the held amount, paying commissions to the uplines, then COMPLETED: the recharge operator confirmed the payment (SUCCESS)',
      ]),
    );
    expect(activitySummaries.every((s) => typeof s === 'string' && s.length > 0)).toBe(true);
    const timerSummaries = events
      .filter((e) => e.timerStartedEventAttributes)
      .map((e) => text(e.userMetadata?.summary));
    expect(timerSummaries.length).toBeGreaterThan(0);
    expect(timerSummaries[0]).toMatch(/^waiting for the recharge operator \(webhook or status check at /);

    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(
      /^\*\*COMPLETED\*\* · completed; a reversal the provider reports is booked by a reversal run/,
    );
  });
});
