/** The payout provider's client (protocol in wire.ts): implements PayoutGateway. */
import { ValidationError } from '../../domain/errors';
import type { PayoutGateway, PayoutState } from '../contracts';
import { keyedApi } from '../keyedApi';
import { createPayoutBody, payoutAnswer, verifyAnswer } from './wire';

export interface PayoutClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

const toState = (a: ReturnType<typeof payoutAnswer.parse>): PayoutState => ({
  referenceId: a.referenceId,
  payoutId: a.payoutId,
  status: a.status,
  ...(a.utr ? { utr: a.utr } : {}),
  ...(a.failureReason ? { failureReason: a.failureReason } : {}),
});

export function createPayoutClient(o: PayoutClientOptions): PayoutGateway {
  const api = keyedApi({ provider: 'payout', ...o });
  return {
    async createPayout(req) {
      const body = createPayoutBody.safeParse(req);
      if (!body.success)
        throw new ValidationError(
          'payout request is invalid',
          body.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      return toState(await api.create('/v1/payouts', body.data, payoutAnswer));
    },
    async findPayout(referenceId) {
      const a = await api.find(`/v1/payouts/${encodeURIComponent(referenceId)}`, payoutAnswer);
      return a && toState(a);
    },
    async verifyAccount(req) {
      const a = await api.post('/v1/accounts/verify', req, verifyAnswer);
      return { valid: a.valid, nameAtBank: a.nameAtBank ?? null };
    },
  };
}
