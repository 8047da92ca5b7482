/** The recharge aggregator's client (protocol in wire.ts): implements RechargeGateway. */
import { ValidationError } from '../../domain/errors';
import { paise } from '../../domain/money';
import type { RechargeGateway, RechargeState } from '../contracts';
import { keyedApi } from '../keyedApi';
import { operatorsAnswer, rechargeAnswer } from './wire';

export interface RechargeClientOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

const toState = (a: ReturnType<typeof rechargeAnswer.parse>): RechargeState => ({
  clientRef: a.clientRef,
  status: a.status,
  ...(a.operatorRef ? { operatorRef: a.operatorRef } : {}),
  ...(a.message ? { message: a.message } : {}),
});

export function createRechargeClient(o: RechargeClientOptions): RechargeGateway {
  const api = keyedApi({ provider: 'recharge', ...o });
  return {
    async operators() {
      const a = await api.get('/v1/operators', operatorsAnswer);
      return a.operators.map((op) => ({
        ...op,
        minAmount: paise(op.minAmount * 100),
        maxAmount: paise(op.maxAmount * 100),
      }));
    },
    async recharge(req) {
      // The wire carries whole rupees: a paise fraction would be silently dropped, so refuse it here.
      if (req.amount % 100 !== 0)
        throw new ValidationError('recharge amounts are whole rupees', { amount: req.amount });
      const body = {
        operator: req.operator,
        circle: req.circle,
        mobile: req.mobile,
        amount: req.amount / 100,
        clientRef: req.clientRef,
      };
      return toState(await api.create('/v1/recharges', body, rechargeAnswer));
    },
    async findRecharge(clientRef) {
      const a = await api.find(`/v1/recharges/${encodeURIComponent(clientRef)}`, rechargeAnswer);
      return a && toState(a);
    },
  };
}
