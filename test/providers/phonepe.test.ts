/** The production PhonePe client against the simulator, over real HTTP on loopback. */
import { ValidationError } from '../../domain/errors';
import { paise } from '../../domain/money';
import { ProviderOutcomeUnknownError, ProviderRejectedError, ProviderUnavailableError } from '../../domain/providerErrors';
import { expectedAuthorization, phonePeWebhook, verifyWebhookAuthorization } from '../../providers/phonepe/webhook';
import { RunningSimulators } from '../../providers/simulatorApp';
import { eventually, PHONEPE_CREDS, phonePeClientFor, startTestSimulators, webhookSink } from '../support/simulators';

let sims: RunningSimulators;
let sink: Awaited<ReturnType<typeof webhookSink>>;
const order = (id: string, amount = 50_000) => ({ merchantOrderId: id, amount: paise(amount), redirectUrl: 'https://merchant.example/back', expireAfterSeconds: 600 });

beforeAll(async () => {
  sink = await webhookSink();
  sims = await startTestSimulators(sink.url);
});
afterAll(async () => {
  await sims.close();
  await sink.close();
});
beforeEach(() => {
  sims.phonepe.reset();
  sink.received.length = 0;
  sink.status = 200;
});

const tokenRequests = () => sims.phonepe.requests.filter((r) => r.path.endsWith('/oauth/token')).length;

it('fetches one token for many calls, shared by concurrent callers', async () => {
  const client = phonePeClientFor(sims);
  await Promise.all([client.createOrder(order('tok_1')), client.createOrder(order('tok_2')), client.findOrder('tok_1')]);
  await client.findOrder('tok_2');
  expect(tokenRequests()).toBe(1);
});

it('refreshes the token before it expires, and once on a 401', async () => {
  const client = phonePeClientFor(sims);
  sims.phonepe.faults.tokenTtlSeconds = 30; // inside the 60 s refresh margin: every call refreshes
  await client.createOrder(order('exp_1'));
  await client.findOrder('exp_1');
  expect(tokenRequests()).toBe(2);
  sims.phonepe.faults.tokenTtlSeconds = 3600;
  const fresh = phonePeClientFor(sims);
  await fresh.findOrder('exp_1');
  const before = tokenRequests();
  sims.phonepe.reset(); // forgets every token: the next call gets a 401, refreshes, retries
  expect(await fresh.findOrder('exp_1')).toBeNull();
  expect(tokenRequests()).toBe(1);
  expect(before).toBeGreaterThan(0);
});

it('create → checkout page → pay: webhook with our Authorization, 303 back, COMPLETED in paise', async () => {
  const client = phonePeClientFor(sims);
  const created = await client.createOrder(order('happy_1', 123_456));
  const page = await fetch(created.redirectUrl);
  expect(await page.text()).toContain('₹1234.56');
  const orderId = created.redirectUrl.split('/').pop();
  const paid = await fetch(`${sims.url}/phonepe/checkout/${orderId}/pay`, { method: 'POST', redirect: 'manual' });
  expect(paid.status).toBe(303);
  expect(paid.headers.get('location')).toBe('https://merchant.example/back');
  const [hook] = await eventually(() => sink.received, (r) => r.length === 1);
  expect(hook!.headers.authorization).toBe(expectedAuthorization(PHONEPE_CREDS.webhookUsername, PHONEPE_CREDS.webhookPassword));
  expect(phonePeWebhook.parse(hook!.body)).toMatchObject({ event: 'checkout.order.completed', payload: { merchantOrderId: 'happy_1', state: 'COMPLETED', amount: 123_456 } });
  expect(await client.findOrder('happy_1')).toMatchObject({ state: 'COMPLETED', amount: 123_456, paymentMode: 'UPI_INTENT' });
});

it('failure, paid-amount mismatch and stay-PENDING are visible through status', async () => {
  const client = phonePeClientFor(sims);
  await client.createOrder(order('fail_1'));
  await sims.phonepe.completeOrder('fail_1', 'failure');
  expect(await client.findOrder('fail_1')).toMatchObject({ state: 'FAILED', errorCode: 'PAYMENT_DECLINED' });
  await client.createOrder(order('mismatch_1', 50_000));
  await sims.phonepe.completeOrder('mismatch_1', 'success', 40_000);
  expect(await client.findOrder('mismatch_1')).toMatchObject({ state: 'COMPLETED', amount: 40_000 });
  sims.phonepe.faults.stayPendingPolls = 2;
  await client.createOrder(order('lag_1'));
  await sims.phonepe.completeOrder('lag_1', 'success');
  expect((await client.findOrder('lag_1'))!.state).toBe('PENDING');
  expect((await client.findOrder('lag_1'))!.state).toBe('PENDING');
  expect((await client.findOrder('lag_1'))!.state).toBe('COMPLETED');
});

it('duplicates, drops and out-of-order webhooks as scripted; retries unacknowledged ones', async () => {
  const client = phonePeClientFor(sims);
  sims.phonepe.faults.webhookDuplicates = 2;
  sims.phonepe.faults.outOfOrderWebhooks = true;
  await client.createOrder(order('dup_1'));
  await sims.phonepe.completeOrder('dup_1', 'success');
  const got = await eventually(() => sink.received, (r) => r.length === 6);
  expect(got.map((h) => h.body.event)).toEqual([...Array(3).fill('checkout.order.completed'), ...Array(3).fill('checkout.order.failed')]);
  sims.phonepe.reset();
  sink.received.length = 0;
  sims.phonepe.faults.dropWebhooks = true;
  await client.createOrder(order('drop_1'));
  await sims.phonepe.completeOrder('drop_1', 'success');
  await new Promise((r) => setTimeout(r, 200));
  expect(sink.received).toHaveLength(0);
  sims.phonepe.reset();
  sink.status = 404; // our API answers 404 for an order it does not know yet
  await client.createOrder(order('retry_1'));
  await sims.phonepe.completeOrder('retry_1', 'success');
  await eventually(() => sink.received, (r) => r.length >= 2);
  sink.status = 200;
  await eventually(() => sims.phonepe.webhooksSent, (w) => w.some((x) => x.status === 200));
});

it('classifies failures: 5xx retryable, /pay timeout outcome-unknown (yet the order exists), 4xx rejected', async () => {
  const client = phonePeClientFor(sims, 300);
  sims.phonepe.faults.fail5xx = { status: 1 };
  await client.createOrder(order('cls_1'));
  const e1 = await client.findOrder('cls_1').catch((e) => e);
  expect(e1).toBeInstanceOf(ProviderUnavailableError);
  expect(e1.retryable).toBe(true);
  sims.phonepe.faults.hang = { pay: 1 };
  sims.phonepe.faults.hangMs = 1000;
  const e2 = await client.createOrder(order('cls_2')).catch((e) => e);
  expect(e2).toBeInstanceOf(ProviderOutcomeUnknownError);
  expect(await client.findOrder('cls_2')).toMatchObject({ state: 'PENDING' });
  const e3 = await client.createOrder(order('cls_2')).catch((e) => e);
  expect(e3).toBeInstanceOf(ProviderRejectedError);
  expect(e3.details).toMatchObject({ httpStatus: 409, code: 'DUPLICATE_ORDER' });
  expect(e3.retryable).toBe(false);
});

it('rejects bad input before sending anything', async () => {
  const client = phonePeClientFor(sims);
  await expect(client.createOrder(order('bad id with spaces'))).rejects.toThrow(ValidationError);
  await expect(client.createOrder(order('small_1', 99))).rejects.toThrow(ValidationError);
  await expect(client.createOrder({ ...order('exp_bad'), expireAfterSeconds: 30 })).rejects.toThrow(ValidationError);
  expect(sims.phonepe.requests.filter((r) => r.path.includes('/pay'))).toHaveLength(0);
});

it('refunds: PENDING → CONFIRMED → COMPLETED, or FAILED; never twice for one id', async () => {
  const client = phonePeClientFor(sims);
  await client.createOrder(order('ref_1', 50_000));
  await sims.phonepe.completeOrder('ref_1', 'success');
  expect(await client.createRefund({ merchantRefundId: 'rf_1', originalMerchantOrderId: 'ref_1', amount: paise(20_000) })).toMatchObject({ state: 'PENDING' });
  expect((await client.findRefund('rf_1'))!.state).toBe('CONFIRMED');
  expect((await client.findRefund('rf_1'))!.state).toBe('COMPLETED');
  await expect(client.createRefund({ merchantRefundId: 'rf_1', originalMerchantOrderId: 'ref_1', amount: paise(1_000) })).rejects.toThrow(ProviderRejectedError);
  await expect(client.createRefund({ merchantRefundId: 'rf_big', originalMerchantOrderId: 'ref_1', amount: paise(30_001) })).rejects.toThrow(ProviderRejectedError);
  sims.phonepe.faults.refundMode = 'auto-failure';
  await client.createRefund({ merchantRefundId: 'rf_2', originalMerchantOrderId: 'ref_1', amount: paise(1_000) });
  expect((await client.findRefund('rf_2'))!.state).toBe('FAILED');
  expect(await client.findRefund('nope')).toBeNull();
});

it('verifies the webhook header in constant time and parses bodies strictly', () => {
  const good = expectedAuthorization('u', 'p');
  expect(verifyWebhookAuthorization(good, 'u', 'p')).toBe(true);
  expect(verifyWebhookAuthorization(good.replace(/.$/, '0') === good ? good.replace(/.$/, '1') : good.replace(/.$/, '0'), 'u', 'p')).toBe(false);
  expect(verifyWebhookAuthorization('short', 'u', 'p')).toBe(false);
  expect(verifyWebhookAuthorization(undefined, 'u', 'p')).toBe(false);
  expect(phonePeWebhook.safeParse({ event: 'checkout.order.completed', payload: { state: 'COMPLETED' } }).success).toBe(false);
  expect(phonePeWebhook.safeParse({ type: 'CHECKOUT_ORDER_COMPLETED', payload: { merchantOrderId: 'x', state: 'COMPLETED' } }).success).toBe(false);
  expect(phonePeWebhook.safeParse({ event: 'checkout.order.completed', payload: { merchantOrderId: 'x', state: 'COMPLETED', extra: 1 }, type: 'legacy' }).success).toBe(true);
});
