/**
 * PhonePe Standard Checkout v2 (shared/design/providers.md). OAuth client credentials with a
 * cached token (refreshed before expiry, one retry on 401, concurrent callers share one token
 * request), amounts in integer paise, every answer parsed with zod (unknown fields ignored).
 *
 * It implements PhonePeGateway, what the workflows need: find* return null for an unknown
 * order or refund, so "does it exist?" is a question and not an error.
 */
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { Paise, paise } from '../../domain/money';
import { failFor, parseAnswer, ProviderCall, ProviderResponse, send } from '../http';

export interface PhonePeOrder {
  state: 'PENDING' | 'COMPLETED' | 'FAILED';
  amount: Paise;
  expireAt?: number;
  errorCode?: string;
  /** PhonePe's id of the successful attempt, and how the customer paid. */
  transactionId?: string;
  paymentMode?: string;
}

export interface PhonePeRefund {
  state: 'PENDING' | 'CONFIRMED' | 'COMPLETED' | 'FAILED';
  amount: Paise;
  errorCode?: string;
}

export interface PhonePeGateway {
  createOrder(req: { merchantOrderId: string; amount: Paise; redirectUrl: string; expireAfterSeconds: number }): Promise<{ redirectUrl: string; expireAt: number }>;
  findOrder(merchantOrderId: string): Promise<PhonePeOrder | null>;
  createRefund(req: { merchantRefundId: string; originalMerchantOrderId: string; amount: Paise }): Promise<PhonePeRefund>;
  findRefund(merchantRefundId: string): Promise<PhonePeRefund | null>;
}

export interface PhonePeClientOptions {
  baseUrl: string;
  clientId: string;
  clientVersion: string;
  clientSecret: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const tokenAnswer = z.looseObject({ access_token: z.string().min(1), expires_at: z.number() });
const payAnswer = z.looseObject({ orderId: z.string(), state: z.string(), expireAt: z.number(), redirectUrl: z.string().url() });
const orderAnswer = z.looseObject({
  orderId: z.string().optional(),
  state: z.enum(['PENDING', 'COMPLETED', 'FAILED']),
  amount: z.number().int().nonnegative(),
  expireAt: z.number().optional(),
  errorCode: z.string().optional(),
  paymentDetails: z
    .array(z.looseObject({ paymentMode: z.string().optional(), transactionId: z.string().optional(), state: z.string().optional(), amount: z.number().optional() }))
    .optional(),
});
const refundAnswer = z.looseObject({
  amount: z.number().int().nonnegative(),
  state: z.enum(['PENDING', 'CONFIRMED', 'COMPLETED', 'FAILED']),
  errorCode: z.string().optional(),
});

const ORDER_ID = /^[A-Za-z0-9_-]{1,63}$/;
const REFRESH_MARGIN_S = 60;

export function createPhonePeClient(opts: PhonePeClientOptions): PhonePeGateway {
  const base = opts.baseUrl.replace(/\/$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const now = opts.now ?? Date.now;
  const fetchImpl = opts.fetch ?? fetch;
  let token: { value: string; expiresAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const call: ProviderCall = {
      provider: 'phonepe',
      method: 'POST',
      url: `${base}/v1/oauth/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: opts.clientId,
        client_version: opts.clientVersion,
        client_secret: opts.clientSecret,
        grant_type: 'client_credentials',
      }).toString(),
      timeoutMs,
      creates: false,
    };
    const res = await send(call, fetchImpl);
    if (res.status !== 200) failFor(call, res);
    const t = parseAnswer(call, tokenAnswer, res);
    token = { value: t.access_token, expiresAt: t.expires_at };
    return t.access_token;
  }

  function accessToken(): Promise<string> {
    if (token && now() / 1000 < token.expiresAt - REFRESH_MARGIN_S) return Promise.resolve(token.value);
    inFlight ??= fetchToken().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  /** An authorised call; a 401 refreshes the token once and retries once. */
  async function call(method: 'GET' | 'POST', path: string, body: unknown, creates: boolean): Promise<{ c: ProviderCall; res: ProviderResponse }> {
    for (let attempt = 0; ; attempt++) {
      const c: ProviderCall = {
        provider: 'phonepe',
        method,
        url: `${base}${path}`,
        headers: { authorization: `O-Bearer ${await accessToken()}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        timeoutMs,
        creates,
      };
      const res = await send(c, fetchImpl);
      if (res.status === 401 && attempt === 0) {
        token = undefined;
        continue;
      }
      return { c, res };
    }
  }

  function checkOrderId(id: string, field: string) {
    if (!ORDER_ID.test(id)) throw new ValidationError(`${field} must be 1-63 characters of A-Z a-z 0-9 _ -`, { [field]: id });
  }

  return {
    async createOrder(req) {
      checkOrderId(req.merchantOrderId, 'merchantOrderId');
      if (req.amount < 100) throw new ValidationError('PhonePe takes at least 100 paise', { amount: req.amount });
      if (req.expireAfterSeconds < 300 || req.expireAfterSeconds > 3600) {
        throw new ValidationError('expireAfter must be 300-3600 seconds', { expireAfter: req.expireAfterSeconds });
      }
      const { c, res } = await call(
        'POST',
        '/checkout/v2/pay',
        {
          merchantOrderId: req.merchantOrderId,
          amount: req.amount,
          expireAfter: req.expireAfterSeconds,
          metaInfo: { udf1: req.merchantOrderId },
          paymentFlow: { type: 'PG_CHECKOUT', message: 'NexasPay wallet top-up', merchantUrls: { redirectUrl: req.redirectUrl } },
        },
        true,
      );
      if (res.status !== 200) failFor(c, res);
      const a = parseAnswer(c, payAnswer, res);
      return { redirectUrl: a.redirectUrl, expireAt: a.expireAt };
    },

    async findOrder(merchantOrderId) {
      checkOrderId(merchantOrderId, 'merchantOrderId');
      const { c, res } = await call('GET', `/checkout/v2/order/${encodeURIComponent(merchantOrderId)}/status?details=false`, undefined, false);
      if (res.status === 404) return null;
      if (res.status !== 200) failFor(c, res);
      const a = parseAnswer(c, orderAnswer, res);
      const success = a.paymentDetails?.find((d) => d.state === 'COMPLETED') ?? a.paymentDetails?.[a.paymentDetails.length - 1];
      return {
        state: a.state,
        amount: paise(a.amount),
        expireAt: a.expireAt,
        errorCode: a.errorCode,
        transactionId: success?.transactionId,
        paymentMode: success?.paymentMode,
      };
    },

    async createRefund(req) {
      checkOrderId(req.merchantRefundId, 'merchantRefundId');
      const { c, res } = await call(
        'POST',
        '/payments/v2/refund',
        { merchantRefundId: req.merchantRefundId, originalMerchantOrderId: req.originalMerchantOrderId, amount: req.amount },
        true,
      );
      if (res.status !== 200) failFor(c, res);
      const a = parseAnswer(c, refundAnswer, res);
      return { state: a.state, amount: paise(a.amount), errorCode: a.errorCode };
    },

    async findRefund(merchantRefundId) {
      checkOrderId(merchantRefundId, 'merchantRefundId');
      const { c, res } = await call('GET', `/payments/v2/refund/${encodeURIComponent(merchantRefundId)}/status`, undefined, false);
      if (res.status === 404) return null;
      if (res.status !== 200) failFor(c, res);
      const a = parseAnswer(c, refundAnswer, res);
      return { state: a.state, amount: paise(a.amount), errorCode: a.errorCode };
    },
  };
}
