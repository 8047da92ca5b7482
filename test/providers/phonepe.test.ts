/** The production PhonePe client against the simulator, over real HTTP on loopback. */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ValidationError } from '../../domain/errors';
import { Paise, paise } from '../../domain/money';
import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from '../../domain/providerErrors';
import type { HttpTransport } from '../../providers/http';
import { createPhonePeClient, type CreatePaymentInput } from '../../providers/phonepe/client';
import { RunningPhonePeSimulator } from '../../simulators/phonepe';
import {
  expectedAuthorization,
  parsePhonePeWebhook,
  verifyWebhookAuthorization,
} from '../../providers/phonepe/webhook';
import {
  clientFor,
  CREDS,
  eventually,
  failureOf,
  HOOK,
  simClock,
  Sink,
  sleep,
  startSim,
  startSink,
} from './phonepeHarness';

let sim: RunningPhonePeSimulator;
let sink: Sink;

beforeAll(async () => {
  sink = await startSink();
  sim = await startSim(sink.url);
});
afterAll(async () => {
  await sim.close();
  await sink.close();
});
beforeEach(() => {
  sim.sim.reset();
  sink.received.length = 0;
  sink.answer = () => 200;
  simClock.offsetMs = 0;
});

const MERCHANT_BACK = 'https://merchant.example/topups/back';
const order = (merchantOrderId: string, amount = 50_000): CreatePaymentInput => ({
  merchantOrderId,
  amount: paise(amount),
  redirectUrl: MERCHANT_BACK,
  expireAfterSeconds: 600,
});
const calls = (suffix: string) => sim.sim.requests.filter((r) => r.path.endsWith(suffix));
const control = (path: string, body?: unknown) =>
  fetch(`${sim.baseUrl}/__sim${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
const completed = async (c: ReturnType<typeof clientFor>, id: string, amount = 50_000) => {
  await c.createPayment(order(id, amount));
  await sim.sim.completeOrder(id, 'success');
};

describe('access token', () => {
  it('is fetched once for many calls, concurrent callers sharing one request', async () => {
    const c = clientFor(sim);
    await Promise.all(['t1', 't2', 't3', 't4'].map((id) => c.createPayment(order(id))));
    await Promise.all(['t1', 't2', 't3'].map((id) => c.getOrderStatus(id)));
    expect(calls('/v1/oauth/token')).toHaveLength(1);
    expect(calls('/v1/oauth/token')[0]!.body).toMatchObject({
      client_id: CREDS.clientId,
      client_version: '1',
      grant_type: 'client_credentials',
      client_secret: '[redacted]',
    });
  });

  it('is refreshed shortly before expires_at, without waiting for a 401', async () => {
    let clientNow = Date.now();
    const c = clientFor(sim, { now: () => clientNow });
    await c.createPayment(order('r1'));
    clientNow += (3600 - 90) * 1000; // 90 s left: still used
    await c.getOrderStatus('r1');
    expect(calls('/v1/oauth/token')).toHaveLength(1);
    clientNow += 60 * 1000; // 30 s left: inside the refresh margin
    await c.getOrderStatus('r1');
    expect(calls('/v1/oauth/token')).toHaveLength(2);
    expect(sim.sim.requests.filter((r) => r.status === 401)).toHaveLength(0);
  });

  it('past its (overridden) TTL on the provider side: one 401, one refresh, one retry', async () => {
    expect((await control('/faults', { tokenTtlSeconds: 120 })).status).toBe(200);
    const c = clientFor(sim);
    await c.createPayment(order('x1'));
    simClock.advance(121);
    expect(await c.getOrderStatus('x1')).toMatchObject({ state: 'PENDING' });
    expect(
      sim.sim.requests.map((r) => `${r.method} ${r.path.replace(/^.*\/(oauth\/token|pay|status)$/, '$1')} ${r.status}`),
    ).toEqual(['POST oauth/token 200', 'POST pay 200', 'GET status 401', 'POST oauth/token 200', 'GET status 200']);
  });

  it('expired on demand (expireTokensNow): the next call refreshes and succeeds', async () => {
    const c = clientFor(sim);
    await c.createPayment(order('e1'));
    await control('/faults', { expireTokensNow: true });
    expect(await c.getOrderStatus('e1')).toMatchObject({ state: 'PENDING' });
    expect(calls('/v1/oauth/token')).toHaveLength(2);
  });

  it('a 401 that survives the refresh is a rejection (credentials), and wrong credentials too', async () => {
    const c = clientFor(sim);
    await c.createPayment(order('u1'));
    sim.sim.faults.httpErrors = { status: { status: 401, times: 2 } };
    const e = await failureOf(c.getOrderStatus('u1'));
    expect(e).toBeInstanceOf(ProviderRejectedError);
    expect(e.retryable).toBe(false);
    expect(e.details).toMatchObject({ httpStatus: 401 });
    expect(calls('/v1/oauth/token')).toHaveLength(2);

    const wrong = clientFor(sim, { clientSecret: 'not-the-secret' });
    const e2 = await failureOf(wrong.getOrderStatus('u1'));
    expect(e2).toBeInstanceOf(ProviderRejectedError);
    expect(e2.details).toMatchObject({ httpStatus: 401, code: 'INVALID_CLIENT' });
  });
});

describe('payment', () => {
  it('create → checkout page → Pay: webhook with our Authorization, 303 back, COMPLETED in paise', async () => {
    const c = clientFor(sim);
    const created = await c.createPayment({
      ...order('happy_1', 123_456),
      message: 'Wallet top-up',
      metaInfo: { udf1: 'happy_1' },
    });
    expect(created).toMatchObject({ state: 'PENDING', orderId: expect.stringMatching(/^OMO/) });
    expect(created.expireAt).toBeGreaterThan(Date.now() + 590_000);
    expect(calls('/checkout/v2/pay')[0]!.body).toEqual({
      merchantOrderId: 'happy_1',
      amount: 123_456,
      expireAfter: 600,
      metaInfo: { udf1: 'happy_1' },
      paymentFlow: { type: 'PG_CHECKOUT', message: 'Wallet top-up', merchantUrls: { redirectUrl: MERCHANT_BACK } },
    });

    const page = await fetch(created.redirectUrl);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('₹1234.56');
    expect(html).toContain('happy_1');
    expect(html).not.toMatch(/<script|https?:\/\/(?!merchant)/);
    const payAction = /<form method="post" action="([^"]+\/pay)">/.exec(html)![1]!;

    const paid = await fetch(new URL(payAction, created.redirectUrl), { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(MERCHANT_BACK);

    const [hook] = await eventually(
      () => sink.received,
      (r) => r.length === 1,
    );
    expect(hook!.headers.authorization).toBe(expectedAuthorization(HOOK.username, HOOK.password));
    expect(verifyWebhookAuthorization(hook!.headers.authorization, HOOK.username, HOOK.password)).toBe(true);
    expect(parsePhonePeWebhook(hook!.body)).toMatchObject({
      event: 'checkout.order.completed',
      payload: { merchantOrderId: 'happy_1', orderId: created.orderId, state: 'COMPLETED', amount: 123_456 },
    });

    const status = await c.getOrderStatus('happy_1');
    expect(status).toMatchObject({ orderId: created.orderId, state: 'COMPLETED', amount: 123_456 });
    expect(status.paymentDetails[0]).toMatchObject({
      state: 'COMPLETED',
      amount: 123_456,
      transactionId: expect.any(String),
      rail: { type: 'UPI', utr: expect.stringMatching(/^\d{12}$/) },
    });
    expect(await c.findOrder('happy_1')).toMatchObject({
      state: 'COMPLETED',
      amount: 123_456,
      paymentMode: 'UPI_INTENT',
      transactionId: status.paymentDetails[0]!.transactionId,
    });
  });

  it('Fail on the page: FAILED with an error code, a failed webhook, and a second click changes nothing', async () => {
    const c = clientFor(sim);
    const created = await c.createPayment(order('fail_1'));
    const orderPath = new URL(created.redirectUrl).pathname;
    const failed = await fetch(new URL(`${orderPath}/fail`, sim.url), { method: 'POST', redirect: 'manual' });
    expect(failed.status).toBe(303);
    expect(failed.headers.get('location')).toBe(MERCHANT_BACK);
    const [hook] = await eventually(
      () => sink.received,
      (r) => r.length === 1,
    );
    expect(parsePhonePeWebhook(hook!.body)).toMatchObject({
      event: 'checkout.order.failed',
      payload: { merchantOrderId: 'fail_1', state: 'FAILED' },
    });
    expect(await c.getOrderStatus('fail_1')).toMatchObject({
      state: 'FAILED',
      errorCode: 'PAYMENT_ERROR',
      detailedErrorCode: expect.any(String),
    });

    await fetch(new URL(`${orderPath}/pay`, sim.url), { method: 'POST', redirect: 'manual' });
    expect((await c.getOrderStatus('fail_1')).state).toBe('FAILED');
    expect(await (await fetch(created.redirectUrl)).text()).toContain('This order is FAILED');
  });

  it('an order nobody pays fails at expireAt (TXN_AUTO_FAILED), with a webhook', async () => {
    const c = clientFor(sim);
    await c.createPayment({ ...order('exp_1'), expireAfterSeconds: 300 });
    simClock.advance(299);
    expect((await c.getOrderStatus('exp_1')).state).toBe('PENDING');
    simClock.advance(2);
    expect(await c.getOrderStatus('exp_1')).toMatchObject({
      state: 'FAILED',
      errorCode: 'TXN_NOT_COMPLETED',
      detailedErrorCode: 'TXN_AUTO_FAILED',
      paymentDetails: [],
    });
    const [hook] = await eventually(
      () => sink.received,
      (r) => r.length === 1,
    );
    expect(hook!.body).toMatchObject({ event: 'checkout.order.failed', payload: { merchantOrderId: 'exp_1' } });
    expect((await control('/orders/exp_1/complete', { outcome: 'success' })).status).toBe(409);
  });

  it('a paid amount that differs from the asked one shows in status (fault and control API)', async () => {
    const c = clientFor(sim);
    await control('/faults', { paidAmountDelta: -100 });
    await c.createPayment(order('short_1', 50_000));
    expect((await control('/orders/short_1/complete', { outcome: 'success' })).status).toBe(200);
    expect(await c.getOrderStatus('short_1')).toMatchObject({ state: 'COMPLETED', amount: 49_900 });
    expect(await c.findOrder('short_1')).toMatchObject({ amount: 49_900 });
    await c.createPayment(order('over_1', 50_000));
    await control('/orders/over_1/complete', { outcome: 'success', paidAmount: 60_000 });
    expect((await c.getOrderStatus('over_1')).amount).toBe(60_000);
  });

  it('stays PENDING for N status calls after completion when told to', async () => {
    const c = clientFor(sim);
    await control('/faults', { stayPendingPolls: 2 });
    await completed(c, 'lag_1');
    expect((await c.getOrderStatus('lag_1')).state).toBe('PENDING');
    expect((await c.getOrderStatus('lag_1')).paymentDetails).toEqual([]);
    expect((await c.getOrderStatus('lag_1')).state).toBe('COMPLETED');
  });
});

describe('webhooks from the simulator', () => {
  it('duplicates and out-of-order events as scripted', async () => {
    const c = clientFor(sim);
    await control('/faults', { webhookDuplicates: 2, outOfOrderWebhooks: true });
    await completed(c, 'dup_1');
    const got = await eventually(
      () => sink.received,
      (r) => r.length === 6,
    );
    expect(got.map((h) => h.body.event)).toEqual([
      ...Array(3).fill('checkout.order.completed'),
      ...Array(3).fill('checkout.order.failed'),
    ]);
    expect(got.every((h) => h.body.payload.merchantOrderId === 'dup_1')).toBe(true);
  });

  it('dropped: none arrive, status still tells the truth', async () => {
    const c = clientFor(sim);
    await control('/faults', { dropWebhooks: true });
    await completed(c, 'drop_1');
    await sleep(100);
    expect(sink.received).toHaveLength(0);
    expect(sim.sim.webhooksSent).toHaveLength(0);
    expect((await c.getOrderStatus('drop_1')).state).toBe('COMPLETED');
  });

  it('delayed, and cancelled by a reset', async () => {
    const c = clientFor(sim);
    await control('/faults', { webhookDelayMs: 150 });
    const start = Date.now();
    await completed(c, 'late_1');
    await sleep(50);
    expect(sink.received).toHaveLength(0);
    const [hook] = await eventually(
      () => sink.received,
      (r) => r.length === 1,
    );
    expect(hook!.at - start).toBeGreaterThanOrEqual(140);

    sim.sim.faults.webhookDelayMs = 100;
    await completed(c, 'late_2');
    sim.sim.reset();
    await sleep(150);
    expect(sink.received).toHaveLength(1);
  });

  it('retried until acknowledged with 2xx (our API answers 404 for an order it does not know yet)', async () => {
    const c = clientFor(sim);
    sink.answer = (n) => (n === 1 ? 404 : 200);
    await completed(c, 'retry_1');
    await eventually(
      () => sim.sim.webhooksSent,
      (w) => w.length === 2,
    );
    expect(sim.sim.webhooksSent.map((w) => [w.attempt, w.status])).toEqual([
      [1, 404],
      [2, 200],
    ]);
  });
});

describe('failure classification', () => {
  it('5xx and 429 on reads are unavailable (retryable); so is a failing token endpoint', async () => {
    const c = clientFor(sim);
    await c.createPayment(order('cls_1'));
    sim.sim.faults.httpErrors = { status: { status: 503, times: 1 } };
    const e1 = await failureOf(c.getOrderStatus('cls_1'));
    expect(e1).toBeInstanceOf(ProviderUnavailableError);
    expect(e1).toMatchObject({
      retryable: true,
      httpStatus: 503,
      details: { httpStatus: 503, code: 'INTERNAL_SERVER_ERROR' },
    });
    sim.sim.faults.httpErrors = { status: { status: 429, times: 1 } };
    expect(await failureOf(c.getOrderStatus('cls_1'))).toBeInstanceOf(ProviderUnavailableError);
    expect((await c.getOrderStatus('cls_1')).state).toBe('PENDING');

    // No token, nothing sent: even /pay is merely unavailable.
    sim.sim.faults.httpErrors = { token: { status: 500, times: 1 } };
    expect(await failureOf(clientFor(sim).createPayment(order('cls_2')))).toBeInstanceOf(ProviderUnavailableError);
  });

  it('5xx on /pay is an unknown outcome; status then tells (here: not created)', async () => {
    const c = clientFor(sim);
    sim.sim.faults.httpErrors = { pay: { status: 500, times: 1 } };
    const e = await failureOf(c.createPayment(order('u5_1')));
    expect(e).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(e.retryable).toBe(true);
    expect(await c.findOrder('u5_1')).toBeNull();
  });

  it('a /pay timeout is an unknown outcome although the order was created; re-sending is refused', async () => {
    const c = clientFor(sim, { timeoutMs: 150 });
    await control('/faults', { hang: { pay: 1 }, hangMs: 1000 });
    const e = await failureOf(c.createPayment(order('hang_1')));
    expect(e).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect(await c.getOrderStatus('hang_1')).toMatchObject({ state: 'PENDING' });
    const again = await failureOf(c.createPayment(order('hang_1')));
    expect(again).toBeInstanceOf(ProviderRejectedError);
    expect(again.details).toMatchObject({ httpStatus: 409, code: 'DUPLICATE_ORDER' });
  });

  it('a /refund timeout is an unknown outcome; a status timeout is merely unavailable', async () => {
    const c = clientFor(sim, { timeoutMs: 150 });
    await completed(c, 'hang_2');
    sim.sim.faults.hang = { refund: 1, status: 1 };
    sim.sim.faults.hangMs = 1000;
    expect(
      await failureOf(
        c.refund({ merchantRefundId: 'hang_r', originalMerchantOrderId: 'hang_2', amount: paise(1_000) }),
      ),
    ).toBeInstanceOf(ProviderOutcomeUnknownError);
    expect((await c.getRefundStatus('hang_r')).refundId).toMatch(/^OMR/);
    expect(await failureOf(c.getOrderStatus('hang_2'))).toBeInstanceOf(ProviderUnavailableError);
  });

  it('slow but inside the timeout is fine', async () => {
    const c = clientFor(sim, { timeoutMs: 500 });
    await control('/faults', { latencyMs: 100 });
    const start = Date.now();
    await c.createPayment(order('slow_1'));
    expect(Date.now() - start).toBeGreaterThanOrEqual(190); // token + pay
  });

  it('nobody listening is unavailable', async () => {
    const closed = await startSim(sink.url);
    await closed.close();
    const c = clientFor(closed);
    expect(await failureOf(c.getOrderStatus('any_1'))).toBeInstanceOf(ProviderUnavailableError);
  });

  it('an answer that does not parse is never guessed at: unavailable, or outcome unknown on /pay', async () => {
    const json = (body: unknown) => ({ status: 200, text: JSON.stringify(body) });
    const fake: HttpTransport = async ({ url }) => {
      if (url.endsWith('/v1/oauth/token'))
        return json({
          access_token: 't',
          token_type: 'O-Bearer',
          expires_at: Math.floor(Date.now() / 1000) + 3600,
        });
      if (url.includes('/status')) return json({ orderId: 'OMO1', state: 'MAYBE', amount: 100, expireAt: 1 });
      return { status: 200, text: '<html>gateway error</html>' };
    };
    const c = clientFor(sim, { transport: fake });
    const e = await failureOf(c.getOrderStatus('p_1'));
    expect(e).toBeInstanceOf(ProviderUnavailableError);
    expect(e.details.issues.join()).toMatch(/state/);
    expect(await failureOf(c.createPayment(order('p_1')))).toBeInstanceOf(ProviderOutcomeUnknownError);
  });

  it('a stall in the middle of an answer is classified like a stall before it', async () => {
    const stalling = http.createServer((req, res) => {
      if (req.url!.endsWith('/v1/oauth/token')) {
        res.setHeader('content-type', 'application/json');
        return res.end(
          JSON.stringify({
            access_token: 't',
            token_type: 'O-Bearer',
            expires_at: Math.floor(Date.now() / 1000) + 3600,
          }),
        );
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      res.write('{"orderId":'); // and nothing more
    });
    await new Promise<void>((r) => stalling.listen(0, '127.0.0.1', r));
    try {
      const c = createPhonePeClient({
        baseUrl: `http://127.0.0.1:${(stalling.address() as AddressInfo).port}`,
        ...CREDS,
        timeoutMs: 150,
      });
      expect(await failureOf(c.createPayment(order('mid_1')))).toBeInstanceOf(ProviderOutcomeUnknownError);
      expect(await failureOf(c.getOrderStatus('mid_1'))).toBeInstanceOf(ProviderUnavailableError);
    } finally {
      stalling.closeAllConnections();
      await new Promise((r) => stalling.close(r));
    }
  });

  it('a failed token request fails every caller waiting on it, and the next call tries again', async () => {
    const c = clientFor(sim);
    sim.sim.faults.httpErrors = { token: { status: 503, times: 1 } };
    const failures = await Promise.all(['w1', 'w2', 'w3'].map((id) => failureOf(c.getOrderStatus(id))));
    expect(failures.every((e) => e instanceof ProviderUnavailableError)).toBe(true);
    expect(calls('/v1/oauth/token')).toHaveLength(1);
    await c.createPayment(order('w1'));
    expect(calls('/v1/oauth/token')).toHaveLength(2);
  });

  it('the gateway reports the amount the successful attempt moved, not the amount asked', async () => {
    const fake: HttpTransport = async ({ url }) => ({
      status: 200,
      text: JSON.stringify(
        url.endsWith('/v1/oauth/token')
          ? { access_token: 't', expires_at: Math.floor(Date.now() / 1000) + 3600 }
          : {
              orderId: 'OMO1',
              state: 'COMPLETED',
              amount: 50_000,
              expireAt: 1,
              paymentDetails: [{ state: 'COMPLETED', amount: 40_000, transactionId: 'OM1', paymentMode: 'UPI_QR' }],
            },
      ),
    });
    expect(await clientFor(sim, { transport: fake }).findOrder('g_1')).toMatchObject({
      state: 'COMPLETED',
      amount: 40_000,
      transactionId: 'OM1',
      paymentMode: 'UPI_QR',
    });
  });

  it('400, 404 and 409 are definite rejections carrying PhonePe code and message', async () => {
    const c = clientFor(sim);
    const nf = await failureOf(c.getOrderStatus('nope_1'));
    expect(nf).toBeInstanceOf(ProviderRejectedError);
    expect(nf).toMatchObject({
      retryable: false,
      httpStatus: 502,
      details: { httpStatus: 404, code: 'ORDER_NOT_FOUND', message: expect.any(String) },
    });
    expect(await c.findOrder('nope_1')).toBeNull();
    expect(await c.findRefund('nope_1')).toBeNull();

    await c.createPayment(order('dup_o'));
    expect((await failureOf(c.createPayment(order('dup_o')))).details).toMatchObject({
      httpStatus: 409,
      code: 'DUPLICATE_ORDER',
    });

    const bad = await failureOf(
      c.refund({ merchantRefundId: 'rf_x', originalMerchantOrderId: 'dup_o', amount: paise(1_000) }),
    );
    expect(bad).toBeInstanceOf(ProviderRejectedError);
    expect(bad.details).toMatchObject({ httpStatus: 400, code: 'INVALID_REFUND' });
  });
});

describe('our own inputs', () => {
  const invalid: Array<[string, CreatePaymentInput]> = [
    ['id with spaces', order('bad id')],
    ['id of 64 characters', order('a'.repeat(64))],
    ['99 paise', order('small_1', 99)],
    ['a fraction of a paisa', { ...order('frac_1'), amount: 100.5 as Paise }],
    ['expireAfter 299', { ...order('exp_a'), expireAfterSeconds: 299 }],
    ['expireAfter 3601', { ...order('exp_b'), expireAfterSeconds: 3601 }],
    ['a redirect that is not a URL', { ...order('url_1'), redirectUrl: 'merchant/back' }],
    ['an unknown metaInfo key', { ...order('meta_1'), metaInfo: { note: 'x' } }],
  ];
  it.each(invalid)('refuses %s before sending anything', async (_what, input) => {
    const e = await failureOf(clientFor(sim).createPayment(input));
    expect(e).toBeInstanceOf(ValidationError);
    expect(sim.sim.requests).toHaveLength(0);
  });

  it('refuses bad refunds and ids before sending anything', async () => {
    const c = clientFor(sim);
    expect(
      await failureOf(c.refund({ merchantRefundId: 'r_1', originalMerchantOrderId: 'o_1', amount: paise(99) })),
    ).toBeInstanceOf(ValidationError);
    expect(await failureOf(c.getOrderStatus('../admin'))).toBeInstanceOf(ValidationError);
    expect(await failureOf(c.getRefundStatus(''))).toBeInstanceOf(ValidationError);
    expect(sim.sim.requests).toHaveLength(0);
  });

  it('the simulator itself refuses what PhonePe refuses (for clients that do not check)', async () => {
    const noToken = await fetch(`${sim.baseUrl}/checkout/v2/order/x/status`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await fetch(`${sim.url}/phonepe/v9/nowhere`)).status).toBe(404);
    const jsonToken = await fetch(`${sim.baseUrl}/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(jsonToken.status).toBe(400);
    const form = new URLSearchParams({
      client_id: CREDS.clientId,
      client_version: CREDS.clientVersion,
      client_secret: CREDS.clientSecret,
      grant_type: 'client_credentials',
    });
    const token = (await (await fetch(`${sim.baseUrl}/v1/oauth/token`, { method: 'POST', body: form })).json()) as {
      access_token: string;
      token_type: string;
    };
    expect(token.token_type).toBe('O-Bearer');
    const pay = await fetch(`${sim.baseUrl}/checkout/v2/pay`, {
      method: 'POST',
      headers: { authorization: `O-Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        merchantOrderId: 'raw_1',
        amount: 50,
        paymentFlow: { type: 'PG_CHECKOUT', merchantUrls: { redirectUrl: MERCHANT_BACK } },
      }),
    });
    expect(pay.status).toBe(400);
    expect(await pay.json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('amount') });
  });
});

describe('refunds', () => {
  it('PENDING → CONFIRMED → COMPLETED with a pg.refund.completed webhook; never twice for one id', async () => {
    const c = clientFor(sim);
    await completed(c, 'ref_1', 50_000);
    await eventually(
      () => sink.received,
      (r) => r.length === 1,
    );
    const r = await c.refund({ merchantRefundId: 'rf_1', originalMerchantOrderId: 'ref_1', amount: paise(20_000) });
    expect(r).toMatchObject({ state: 'PENDING', amount: 20_000, refundId: expect.stringMatching(/^OMR/) });
    expect((await c.getRefundStatus('rf_1')).state).toBe('CONFIRMED');
    expect(await c.getRefundStatus('rf_1')).toMatchObject({
      state: 'COMPLETED',
      amount: 20_000,
      originalMerchantOrderId: 'ref_1',
      refundId: r.refundId,
    });
    const hooks = await eventually(
      () => sink.received,
      (h) => h.length === 2,
    );
    expect(parsePhonePeWebhook(hooks[1]!.body)).toMatchObject({
      event: 'pg.refund.completed',
      payload: { merchantRefundId: 'rf_1', originalMerchantOrderId: 'ref_1', state: 'COMPLETED', amount: 20_000 },
    });

    const dup = await failureOf(
      c.refund({ merchantRefundId: 'rf_1', originalMerchantOrderId: 'ref_1', amount: paise(1_000) }),
    );
    expect(dup.details).toMatchObject({ httpStatus: 409, code: 'DUPLICATE_REFUND' });
    expect(sim.sim.refunds.size).toBe(1);
    const over = await failureOf(
      c.refund({ merchantRefundId: 'rf_2', originalMerchantOrderId: 'ref_1', amount: paise(30_001) }),
    );
    expect(over.details).toMatchObject({ httpStatus: 400, code: 'REFUND_AMOUNT_EXCEEDED' });
    expect(await c.findRefund('rf_1')).toEqual({ state: 'COMPLETED', amount: 20_000, errorCode: undefined });
  });

  it('FAILED when scripted, with a pg.refund.failed webhook; manual refunds wait for the control API', async () => {
    const c = clientFor(sim);
    await completed(c, 'ref_2', 50_000);
    await control('/faults', { refundMode: 'auto-failure' });
    await c.refund({ merchantRefundId: 'rf_f', originalMerchantOrderId: 'ref_2', amount: paise(1_000) });
    expect(await c.getRefundStatus('rf_f')).toMatchObject({ state: 'FAILED', errorCode: expect.any(String) });
    await eventually(
      () => sink.received,
      (h) => h.some((x) => x.body.event === 'pg.refund.failed'),
    );

    await control('/faults', { refundMode: 'manual' });
    await c.createRefund({ merchantRefundId: 'rf_m', originalMerchantOrderId: 'ref_2', amount: paise(1_000) });
    expect((await c.getRefundStatus('rf_m')).state).toBe('PENDING');
    expect((await c.getRefundStatus('rf_m')).state).toBe('PENDING');
    expect((await control('/refunds/rf_m/complete', { outcome: 'confirmed' })).status).toBe(200);
    expect((await c.findRefund('rf_m'))!.state).toBe('CONFIRMED');
    expect((await control('/refunds/rf_m/complete', { outcome: 'success' })).status).toBe(200);
    expect((await c.findRefund('rf_m'))!.state).toBe('COMPLETED');
    expect((await control('/refunds/rf_m/complete', { outcome: 'failure' })).status).toBe(409);
  });
});

describe('webhook verification and parsing', () => {
  const good = expectedAuthorization('user', 'pass');

  it('accepts only sha256(username:password), compared in constant time whatever the length', () => {
    expect(good).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyWebhookAuthorization(good, 'user', 'pass')).toBe(true);
    expect(verifyWebhookAuthorization(` ${good} `, 'user', 'pass')).toBe(true);
    expect(verifyWebhookAuthorization(expectedAuthorization('user', 'other'), 'user', 'pass')).toBe(false);
    expect(verifyWebhookAuthorization(good.slice(0, 63), 'user', 'pass')).toBe(false);
    expect(verifyWebhookAuthorization(`${good}0`, 'user', 'pass')).toBe(false);
    expect(verifyWebhookAuthorization(undefined, 'user', 'pass')).toBe(false);
  });

  it('parses on event, ignores unknown fields and the legacy type, refuses malformed bodies', () => {
    const ok = parsePhonePeWebhook({
      type: 'CHECKOUT_ORDER_FAILED',
      event: 'checkout.order.completed',
      payload: { merchantOrderId: 'o_1', state: 'COMPLETED', amount: 100, somethingNew: { x: 1 } },
    });
    expect(ok.event).toBe('checkout.order.completed');
    expect(
      parsePhonePeWebhook({
        event: 'pg.refund.failed',
        payload: { merchantRefundId: 'r_1', originalMerchantOrderId: 'o_1', state: 'FAILED', amount: 100 },
      }).event,
    ).toBe('pg.refund.failed');
    for (const body of [
      null,
      'checkout.order.completed',
      { event: 'checkout.order.completed', payload: { state: 'COMPLETED', amount: 100 } },
      { type: 'CHECKOUT_ORDER_COMPLETED', payload: { merchantOrderId: 'o_1', state: 'COMPLETED', amount: 100 } },
      { event: 'checkout.order.refunded', payload: { merchantOrderId: 'o_1', state: 'COMPLETED', amount: 100 } },
      { event: 'checkout.order.completed', payload: { merchantOrderId: 'o_1', state: 'COMPLETED', amount: '100' } },
      { event: 'pg.refund.completed', payload: { merchantRefundId: 'r_1', state: 'COMPLETED', amount: 100 } },
    ]) {
      expect(() => parsePhonePeWebhook(body)).toThrow(ValidationError);
    }
  });
});
