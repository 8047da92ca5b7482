/**
 * What the payout, recharge and bill routes share: the provider catalogues (cached: they change
 * rarely and every payment request checks against them), the timing their workflows get from
 * config, and turning a workflow's first answer into the HTTP response stored for replays.
 */
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { Config, reversalWatchMsOf } from '../config';
import { getPayment } from '../db/payments';
import { parseRate } from '../domain/commissions';
import { TransientError } from '../domain/errors';
import { PROVIDER_ORDER_POLLING, scalePlan } from '../domain/polling';
import type { Biller, ProviderGateways, RechargeOperator } from '../providers/contracts';
import type { HeldPaymentTiming } from '../domain/heldKinds';
import type { AppDeps } from './deps';
import { idempotencyKeyOf, idempotent, StoredResponse } from './idempotency';
import type { AuthUser } from './auth/guards';
import { workflowsOf } from './routes/payments';
import type { HeldPaymentStart, PaymentWorkflows } from './temporal';

export function gatewayOf<K extends keyof ProviderGateways>(
  gateways: Partial<ProviderGateways> | undefined,
  name: K,
): ProviderGateways[K] {
  const g = gateways?.[name];
  if (!g) throw new TransientError(`${name} payments are unavailable: this API has no ${name} provider configured`);
  return g;
}

/** A catalogue read through the provider at most every `ttlMs`; a failed refresh keeps serving the last one. */
function cached<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let value: T | undefined;
  let loadedAt = 0;
  let inFlight: Promise<T> | undefined;
  return async () => {
    if (value !== undefined && Date.now() - loadedAt < ttlMs) return value;
    inFlight ??= load()
      .then((v) => {
        value = v;
        loadedAt = Date.now();
        return v;
      })
      .finally(() => {
        inFlight = undefined;
      });
    try {
      return await inFlight;
    } catch (err) {
      if (value !== undefined) return value;
      throw err;
    }
  };
}

export interface Catalogues {
  operators(): Promise<RechargeOperator[]>;
  billers(): Promise<Biller[]>;
}

export function catalogues(gateways: Partial<ProviderGateways> | undefined, ttlMs = 5 * 60_000): Catalogues {
  return {
    operators: cached(() => gatewayOf(gateways, 'recharge').operators(), ttlMs),
    billers: cached(() => gatewayOf(gateways, 'bbps').billers(), ttlMs),
  };
}

export function heldPaymentTiming(config: Config): HeldPaymentTiming {
  return {
    polling: scalePlan(PROVIDER_ORDER_POLLING, config.POLLING_TIME_SCALE),
    reversalWatchMs: reversalWatchMsOf(config),
    providerCallBudgetMs: config.PROVIDER_CALL_BUDGET_SECONDS * 1000,
  };
}

export const commissionMargins = (config: Config) => ({
  recharge: parseRate(config.COMMISSION_MARGIN_RECHARGE),
  bill: parseRate(config.COMMISSION_MARGIN_BILL),
});

/**
 * 202 once the amount is held; 422 with the rule's code when the hold was refused (funds,
 * KYC, limits). Both are stored with the Idempotency-Key, so a retry gets the same answer.
 */
async function acceptHeldPayment(
  knex: Knex,
  workflows: PaymentWorkflows,
  start: HeldPaymentStart,
  userCode: string,
): Promise<StoredResponse> {
  const paymentId = start.input.paymentId;
  const first = await workflows.startHeldPayment(start, userCode);
  const answer =
    first === 'already-closed'
      ? await getPayment(knex, paymentId).then((r) => ({
          status: r.status,
          failureCode: undefined,
          failureReason: r.failureReason,
        }))
      : first;
  if (answer.status === 'FAILED' && answer.failureCode) {
    return {
      status: 422,
      body: {
        error: { code: answer.failureCode, message: answer.failureReason ?? 'payment refused', details: { paymentId } },
      },
    };
  }
  return { status: 202, body: { paymentId, status: answer.status } };
}

/**
 * A POST that starts a payout, recharge or bill payment: idempotent on the user's key and the
 * body, then started and answered as acceptHeldPayment does. `claim` runs first with the payment
 * id (a bill is tied to the one payment paying it).
 */
export async function startHeldPaymentRequest(
  deps: AppDeps,
  req: { ctx: Context; user: AuthUser; operation: string; body: unknown; claim?: (paymentId: string) => Promise<void> },
  build: (paymentId: string) => HeldPaymentStart,
): Promise<{ status: number; body: unknown }> {
  const workflows = workflowsOf(deps);
  const response = await idempotent(
    deps.knex,
    {
      userId: req.user.id,
      key: idempotencyKeyOf(req.ctx),
      operation: req.operation,
      canonicalBody: req.body,
      idPrefix: 'pay',
    },
    async (paymentId) => {
      await req.claim?.(paymentId);
      return acceptHeldPayment(deps.knex, workflows, build(paymentId), req.user.userCode);
    },
  );
  return { status: response.status, body: response.body };
}
