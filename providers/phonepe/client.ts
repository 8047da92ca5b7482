/**
 * PhonePe Standard Checkout v2 client (docs/providers.md): OAuth client credentials
 * with a cached token, integer paise, every answer parsed (unknown fields ignored), and every
 * failure classified for the workflows:
 *
 * - 400/404/409 and other 4xx, or a 401 that survives one token refresh: ProviderRejectedError;
 * - 429, 5xx, network errors, timeouts, answers that do not parse: ProviderUnavailableError;
 * - except on /pay and /refund, where a timeout, a 5xx or an unreadable answer may hide an order
 *   or refund that was created: ProviderOutcomeUnknownError (ask status before re-sending).
 *
 * Our own inputs are checked against PhonePe's documented limits before anything is sent, so a
 * ValidationError means nothing left this process.
 */
import { ZodType } from 'zod';
import { ValidationError } from '../../domain/errors';
import {
  ProviderOutcomeUnknownError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from '../../domain/providerErrors';
import { failFor, HttpTransport, parseAnswer, ProviderCall, ProviderResponse, send } from '../http';
import type { PhonePeApi } from './api';
import { phonePeGateway, PhonePeGateway } from './gateway';
import { createTokenSource, type AccessToken } from './token';
import {
  merchantId,
  orderStatusAnswer,
  payAnswer,
  payRequest,
  refundAnswer,
  refundRequest,
  refundStatusAnswer,
  tokenAnswer,
} from './wire';

export type { PhonePeGateway, PhonePeOrder, PhonePeRefund } from './gateway';
export type { CreatePaymentInput, PhonePeApi, RefundInput } from './api';
export type { OrderStatus, PayAnswer, PaymentDetail, RefundAnswer, RefundStatus } from './wire';

export interface PhonePeClientOptions {
  baseUrl: string;
  /** Production PhonePe issues tokens from another host (…/apis/identity-manager); defaults to baseUrl. */
  authBaseUrl?: string;
  clientId: string;
  clientVersion: string;
  clientSecret: string;
  timeoutMs?: number;
  now?: () => number;
  /** How calls reach PhonePe: undici by default (tests pass their own). */
  transport?: HttpTransport;
}

export type PhonePeClient = PhonePeApi & PhonePeGateway;

interface Endpoint {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Creates something at PhonePe: a failure in flight leaves the outcome unknown. */
  creates: boolean;
}

function checked<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
    throw new ValidationError(`PhonePe would refuse this ${what}: ${issues.join('; ')}`, { issues });
  }
  return parsed.data;
}

export function createPhonePeClient(opts: PhonePeClientOptions): PhonePeClient {
  const base = opts.baseUrl.replace(/\/+$/, '');
  const authBase = (opts.authBaseUrl ?? opts.baseUrl).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  function answer<T>(c: ProviderCall, res: ProviderResponse, schema: ZodType<T>): T {
    if (res.status < 200 || res.status > 299) failFor(c, res);
    try {
      return parseAnswer(c, schema, res);
    } catch (err) {
      // A create call that answered 2xx did something, even if we cannot read what.
      if (c.creates && err instanceof ProviderUnavailableError)
        throw new ProviderOutcomeUnknownError(`${err.message}; outcome unknown`, err.details);
      throw err;
    }
  }

  const tokens = createTokenSource(async () => {
    const c: ProviderCall = {
      provider: 'phonepe',
      method: 'POST',
      url: `${authBase}/v1/oauth/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        client_id: opts.clientId,
        client_version: opts.clientVersion,
        client_secret: opts.clientSecret,
        grant_type: 'client_credentials',
      }).toString(),
      timeoutMs,
      creates: false,
    };
    const t = answer(c, await send(c, opts.transport), tokenAnswer);
    return {
      header: `${t.token_type ?? 'O-Bearer'} ${t.access_token}`,
      expiresAt: t.expires_at,
      issuedAt: t.issued_at,
    };
  }, opts.now ?? Date.now);

  async function call<T>(ep: Endpoint, schema: ZodType<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token: AccessToken = await tokens.get();
      const c: ProviderCall = {
        provider: 'phonepe',
        method: ep.method,
        url: `${base}${ep.path}`,
        headers: {
          authorization: token.header,
          accept: 'application/json',
          ...(ep.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: ep.body !== undefined ? JSON.stringify(ep.body) : undefined,
        timeoutMs,
        creates: ep.creates,
      };
      const res = await send(c, opts.transport);
      if (res.status !== 401) return answer(c, res, schema);
      // PhonePe may revoke a token before expires_at; a fresh one settles that. A fresh one
      // refused too means our credentials are wrong, which no retry will fix.
      if (attempt === 1) {
        tokens.invalidate(token);
        continue;
      }
      const body = (res.json ?? {}) as { code?: string; message?: string };
      throw new ProviderRejectedError(
        `phonepe ${ep.method} ${ep.path.split('?')[0]}: a fresh access token was refused too; check the PhonePe client credentials`,
        {
          httpStatus: 401,
          code: body.code,
          message: body.message,
        },
      );
    }
  }

  const api: PhonePeApi = {
    async createPayment(input) {
      const body = checked(
        payRequest,
        {
          merchantOrderId: input.merchantOrderId,
          amount: input.amount,
          expireAfter: input.expireAfterSeconds,
          metaInfo: input.metaInfo,
          paymentFlow: {
            type: 'PG_CHECKOUT',
            message: input.message,
            merchantUrls: { redirectUrl: input.redirectUrl },
          },
        },
        'payment',
      );
      return call({ method: 'POST', path: '/checkout/v2/pay', body, creates: true }, payAnswer);
    },

    async getOrderStatus(merchantOrderId) {
      const id = checked(merchantId, merchantOrderId, 'merchantOrderId');
      return call(
        { method: 'GET', path: `/checkout/v2/order/${id}/status?details=false`, creates: false },
        orderStatusAnswer,
      );
    },

    async refund(input) {
      const body = checked(
        refundRequest,
        {
          merchantRefundId: input.merchantRefundId,
          originalMerchantOrderId: input.originalMerchantOrderId,
          amount: input.amount,
        },
        'refund',
      );
      return call({ method: 'POST', path: '/payments/v2/refund', body, creates: true }, refundAnswer);
    },

    async getRefundStatus(merchantRefundId) {
      const id = checked(merchantId, merchantRefundId, 'merchantRefundId');
      return call({ method: 'GET', path: `/payments/v2/refund/${id}/status`, creates: false }, refundStatusAnswer);
    },
  };

  return { ...api, ...phonePeGateway(api) };
}
