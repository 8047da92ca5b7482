/**
 * The payout, recharge and BBPS clients against their simulators: the happy paths, scripted
 * outcomes over time, duplicates that never execute twice, faults classified the way workflows
 * rely on (5xx/timeout on a create = outcome unknown, then the lookup tells), signed webhooks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from '../../domain/providerErrors';
import { Paise } from '../../domain/money';
import { parseBbpsWebhook } from '../../providers/bbps/webhook';
import { createPayoutClient } from '../../providers/payout/client';
import { createRechargeClient } from '../../providers/recharge/client';
import { parsePayoutWebhook } from '../../providers/payout/webhook';
import { parseRechargeWebhook } from '../../providers/recharge/webhook';
import { RunningSimulators, startSimulators } from '../../simulators/app';
import {
  bbpsClientFor,
  eventually,
  payoutClientFor,
  PHONEPE_CREDS,
  PROVIDER_CREDS,
  rechargeClientFor,
  simControl,
  webhookSink,
} from '../support/simulators';

let sims: RunningSimulators;
let sink: Awaited<ReturnType<typeof webhookSink>>;
beforeAll(async () => {
  sink = await webhookSink();
  sims = await startSimulators({
    phonepe: PHONEPE_CREDS,
    payout: { ...PROVIDER_CREDS.payout, webhookUrl: sink.url },
    recharge: { ...PROVIDER_CREDS.recharge, webhookUrl: sink.url },
    bbps: { ...PROVIDER_CREDS.bbps, webhookUrl: sink.url },
  });
});
afterAll(async () => {
  await sims?.close();
  await sink?.close();
});
beforeEach(async () => {
  for (const p of ['payout', 'recharge', 'bbps'] as const) await simControl(sims, p).reset();
  sink.received.length = 0;
  sink.status = 200;
});

const rs = (n: number) => (n * 100) as Paise;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hooksFor = (ref: string) => sink.received.filter((w) => JSON.stringify(w.body).includes(ref));

describe('payout', () => {
  const payout = () => payoutClientFor(sims, 800);
  const req = (ref: string, account = '50100012345678') => ({
    referenceId: ref,
    amount: rs(250),
    mode: 'IMPS' as const,
    beneficiary: { name: 'Ravi Kumar', accountNumber: account, ifsc: 'HDFC0001234' },
  });

  it('pays, reports PROCESSED with a UTR, and sends a signed webhook our parser accepts', async () => {
    const first = await payout().createPayout(req('po_ok'));
    expect(first).toMatchObject({ referenceId: 'po_ok', status: 'PROCESSING' });
    await eventually(
      () => payout().findPayout('po_ok'),
      (s) => s?.status === 'PROCESSED',
    );
    expect((await payout().findPayout('po_ok'))!.utr).toMatch(/^IMPS[0-9A-F]{12}$/);
    const hook = await eventually(
      () => hooksFor('po_ok'),
      (h) => h.length === 1,
    );
    const parsed = parsePayoutWebhook(
      JSON.stringify(hook[0]!.body),
      hook[0]!.headers['x-signature'] as string,
      PROVIDER_CREDS.payout.webhookSecret,
      300,
    );
    expect(parsed).toEqual({ reference: 'po_ok', state: 'PROCESSED', event: 'payout.processed', outcome: 'succeeded' });
  });

  it('never pays a reference twice', async () => {
    await payout().createPayout(req('po_dup'));
    const again = await payout().createPayout(req('po_dup'));
    expect(again.referenceId).toBe('po_dup');
    expect(await simControl(sims, 'payout').transaction('po_dup')).toMatchObject({
      createCount: 1,
      duplicateRequests: 1,
    });
  });

  it('a 5xx on create is an unknown outcome that did not take effect; a timeout one that did', async () => {
    await simControl(sims, 'payout').fault({ endpoint: 'create', kind: 'error_5xx' });
    await expect(payout().createPayout(req('po_5xx'))).rejects.toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(await payout().findPayout('po_5xx')).toBeNull();
    await simControl(sims, 'payout').fault({ endpoint: 'create', kind: 'timeout_after_effect', delayMs: 1500 });
    await expect(payout().createPayout(req('po_late'))).rejects.toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(await payout().findPayout('po_late')).toMatchObject({ referenceId: 'po_late' });
  });

  it('follows scripted scenarios over time, and a settle by hand', async () => {
    const ctl = simControl(sims, 'payout');
    await ctl.scenario({
      match: '11112222333344',
      outcome: 'pending_then_failure',
      pendingMs: 400,
      failureReason: 'account closed',
    });
    await ctl.scenario({ match: '55556666777788', outcome: 'success_then_reversed', reverseAfterMs: 300 });
    await ctl.scenario({ match: '99990000111122', outcome: 'pending' });
    await payout().createPayout(req('po_f', '11112222333344'));
    await payout().createPayout(req('po_r', '55556666777788'));
    await payout().createPayout(req('po_p', '99990000111122'));
    expect((await payout().findPayout('po_f'))!.status).toBe('PROCESSING');
    await eventually(
      () => payout().findPayout('po_f'),
      (s) => s?.status === 'FAILED' && s.failureReason === 'account closed',
    );
    // PROCESSED lasts 300 ms, too short to catch by polling on a loaded machine: the webhooks show it.
    await eventually(
      () => payout().findPayout('po_r'),
      (s) => s?.status === 'REVERSED',
    );
    await eventually(
      () => hooksFor('po_r'),
      (h) => h.map((x) => x.body.event).join() === 'payout.processed,payout.reversed',
    );
    await sleep(500);
    expect((await payout().findPayout('po_p'))!.status).toBe('PROCESSING');
    await ctl.settle('po_p', 'success');
    expect((await payout().findPayout('po_p'))!.status).toBe('PROCESSED');
  });

  it('penny-drop: valid with the bank name, or invalid as scripted', async () => {
    const v = await payout().verifyAccount({ accountNumber: '50100012345678', ifsc: 'HDFC0001234' });
    expect(v.valid).toBe(true);
    expect(v.nameAtBank).toMatch(/\w+ \w+/);
    await simControl(sims, 'payout').account({ accountNumber: '40400000000000', valid: false });
    expect(await payout().verifyAccount({ accountNumber: '40400000000000', ifsc: 'HDFC0001234' })).toEqual({
      valid: false,
      nameAtBank: null,
    });
  });

  it('refuses a wrong API key as a definite rejection', async () => {
    const wrong = createPayoutClient({ baseUrl: `${sims.url}/payout`, apiKey: 'nope', timeoutMs: 800 });
    await expect(wrong.findPayout('x')).rejects.toBeInstanceOf(ProviderRejectedError);
  });
});

describe('recharge', () => {
  const rc = () => rechargeClientFor(sims, 800);
  const req = (ref: string, mobile = '9876543210', amount = rs(199)) => ({
    clientRef: ref,
    operator: 'JIO' as const,
    circle: 'MH',
    mobile,
    amount,
  });

  it('lists five operators with circles and ranges in paise', async () => {
    const ops = await rc().operators();
    expect(ops.map((o) => o.code).sort()).toEqual(['AIRTEL', 'BSNL', 'JIO', 'MTNL', 'VI']);
    expect(ops.find((o) => o.code === 'JIO')).toMatchObject({ minAmount: 1000, maxAmount: 500000 });
    expect(ops.every((o) => o.circles.length > 0)).toBe(true);
  });

  it('recharges once per clientRef, and refuses paise fractions before sending', async () => {
    expect((await rc().recharge(req('rc_1'))).status).toBe('PENDING');
    await rc().recharge(req('rc_1'));
    await eventually(
      () => rc().findRecharge('rc_1'),
      (s) => s?.status === 'SUCCESS' && Boolean(s.operatorRef),
    );
    expect(await simControl(sims, 'recharge').transaction('rc_1')).toMatchObject({
      createCount: 1,
      duplicateRequests: 1,
    });
    await expect(rc().recharge(req('rc_2', '9876543210', 19_950 as Paise))).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(await rc().findRecharge('rc_2')).toBeNull();
  });

  it('an answer that stalls in the middle of its body: an unknown outcome on a create, unavailable on a lookup', async () => {
    const stalling = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      res.write('{"clientRef":'); // and nothing more
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', r));
    try {
      const c = createRechargeClient({
        baseUrl: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`,
        apiKey: PROVIDER_CREDS.recharge.apiKey,
        timeoutMs: 150,
      });
      await expect(c.recharge(req('rc_stall'))).rejects.toBeInstanceOf(ProviderOutcomeUnknownError);
      await expect(c.findRecharge('rc_stall')).rejects.toBeInstanceOf(ProviderUnavailableError);
    } finally {
      stalling.closeAllConnections();
      await new Promise((r) => stalling.close(r));
    }
  });

  it('a bad circle is a definite rejection with the provider code', async () => {
    await expect(rc().recharge({ ...req('rc_bad'), circle: 'ZZ' })).rejects.toMatchObject({
      code: 'provider_rejected',
      details: { code: 'INVALID_CIRCLE' },
    });
  });

  it('webhooks: duplicates and out-of-order stale events are delivered as scripted, and each verifies', async () => {
    const ctl = simControl(sims, 'recharge');
    await ctl.scenario({ match: '9000000001', outcome: 'success', webhook: 'duplicate' });
    await ctl.scenario({
      match: '9000000002',
      outcome: 'pending_then_failure',
      pendingMs: 200,
      webhook: 'out_of_order',
    });
    await ctl.scenario({ match: '9000000003', outcome: 'success', webhook: 'drop' });
    await rc().recharge(req('rc_dup', '9000000001'));
    await rc().recharge(req('rc_ooo', '9000000002'));
    await rc().recharge(req('rc_drop', '9000000003'));
    await eventually(
      () => hooksFor('rc_dup'),
      (h) => h.length === 2,
    );
    const ooo = await eventually(
      () => hooksFor('rc_ooo'),
      (h) => h.length === 2,
    );
    expect(ooo.map((w) => w.body.payload.status)).toEqual(['FAILURE', 'PENDING']);
    for (const w of [...hooksFor('rc_dup'), ...ooo]) {
      expect(() =>
        parseRechargeWebhook(
          JSON.stringify(w.body),
          w.headers['x-signature'] as string,
          PROVIDER_CREDS.recharge.webhookSecret,
          300,
        ),
      ).not.toThrow();
    }
    await sleep(500);
    expect(hooksFor('rc_drop')).toHaveLength(0);
    expect((await rc().findRecharge('rc_drop'))!.status).toBe('SUCCESS');
  });

  it('retries a webhook the receiver refuses', async () => {
    sink.status = 500;
    await rc().recharge(req('rc_retry', '9000000009'));
    await eventually(
      () => hooksFor('rc_retry'),
      (h) => h.length >= 3,
      5000,
    );
    const log = await simControl(sims, 'recharge').webhooks();
    expect(
      log
        .filter((w) => w.ref === 'rc_retry')
        .map((w) => w.attempt)
        .slice(0, 3),
    ).toEqual([1, 2, 3]);
  });
});

describe('bbps', () => {
  const bbps = () => bbpsClientFor(sims, 800);

  it('has billers in several categories covering every exactness rule, with 14-character ids', async () => {
    const billers = await bbps().billers();
    expect(new Set(billers.map((b) => b.exactness))).toEqual(
      new Set(['EXACT', 'EXACT_AND_ABOVE', 'EXACT_AND_BELOW', 'ANY']),
    );
    expect(new Set(billers.map((b) => b.category)).size).toBeGreaterThanOrEqual(6);
    expect(billers.every((b) => b.billerId.length === 14)).toBe(true);
    expect((await bbps().billers('water')).every((b) => b.category === 'water')).toBe(true);
  });

  it('fetches a bill asynchronously, deterministically; a number with no bill fails', async () => {
    const { refId } = await bbps().requestBill({
      billerId: 'MSEDC0000MAH01',
      customerParams: { 'Consumer Number': '1234567890' },
    });
    expect((await bbps().findBill(refId))!.status).toBe('PROCESSING');
    const done = await eventually(
      () => bbps().findBill(refId),
      (f) => f?.status === 'SUCCESS',
    );
    const again = await bbps().requestBill({
      billerId: 'MSEDC0000MAH01',
      customerParams: { 'Consumer Number': '1234567890' },
    });
    const second = await eventually(
      () => bbps().findBill(again.refId),
      (f) => f?.status === 'SUCCESS',
    );
    expect(second!.bill).toEqual(done!.bill);
    const none = await bbps().requestBill({
      billerId: 'MSEDC0000MAH01',
      customerParams: { 'Consumer Number': '1234560000' },
    });
    await eventually(
      () => bbps().findBill(none.refId),
      (f) => f?.status === 'FAILURE',
    );
  });

  it('pays once per paymentRefId; PENDING stays pending across lookups until BBPS settles it', async () => {
    await simControl(sims, 'bbps').scenario({ match: '2222222221', outcome: 'pending' });
    const { refId } = await bbps().requestBill({
      billerId: 'MGL000000MUM01',
      customerParams: { 'BP Number': '2222222221' },
    });
    await eventually(
      () => bbps().findBill(refId),
      (f) => f?.status === 'SUCCESS',
    );
    const paid = await bbps().payBill({ refId, amount: rs(500), paymentRefId: 'bill_1' });
    expect(paid.status).toBe('PENDING');
    for (let i = 0; i < 3; i++)
      expect((await bbps().payBill({ refId, amount: rs(500), paymentRefId: 'bill_1' })).status).toBe('PENDING');
    expect((await bbps().findBillPayment('bill_1'))!.status).toBe('PENDING');
    expect(await simControl(sims, 'bbps').transaction('bill_1')).toMatchObject({ payCount: 1, duplicateRequests: 3 });
    await simControl(sims, 'bbps').settle('bill_1', 'success');
    expect((await bbps().findBillPayment('bill_1'))!).toMatchObject({
      status: 'SUCCESS',
      bbpsTxnId: expect.any(String),
    });
    const hook = await eventually(
      () => hooksFor('bill_1'),
      (h) => h.length === 1,
    );
    expect(
      parseBbpsWebhook(
        JSON.stringify(hook[0]!.body),
        hook[0]!.headers['x-signature'] as string,
        PROVIDER_CREDS.bbps.webhookSecret,
        300,
      ),
    ).toEqual({ reference: 'bill_1', state: 'SUCCESS', event: 'bill.payment', outcome: 'succeeded' });
  });

  it('enforces exactness at the provider too, as a definite rejection', async () => {
    const { refId } = await bbps().requestBill({
      billerId: 'MSEDC0000MAH01',
      customerParams: { 'Consumer Number': '3333333331' },
    });
    const f = await eventually(
      () => bbps().findBill(refId),
      (x) => x?.status === 'SUCCESS',
    );
    await expect(
      bbps().payBill({ refId, amount: (f!.bill!.amount + 1) as Paise, paymentRefId: 'bill_x' }),
    ).rejects.toBeInstanceOf(ProviderRejectedError);
    expect(await bbps().findBillPayment('bill_x')).toBeNull();
  });

  it('a biller outage (5xx on fetch) is transient, not a rejection', async () => {
    await simControl(sims, 'bbps').fault({ endpoint: 'fetch', kind: 'error_5xx' });
    await expect(
      bbps().requestBill({ billerId: 'MGL000000MUM01', customerParams: { 'BP Number': '1111111111' } }),
    ).rejects.toBeInstanceOf(ProviderOutcomeUnknownError);
  });
});
