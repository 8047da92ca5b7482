/**
 * What the BBPS, recharge and payout simulators share: API-key authentication, a request log,
 * scripted outcomes per order (scenarios, matched on a key such as the mobile number), injected
 * faults, signed webhooks with retries, and the control API under `/__sim`:
 *
 *   POST /__sim/scenarios   {match?, outcome, pendingMs?, reverseAfterMs?, failureReason?, webhook?, webhookDelayMs?}
 *   POST /__sim/transactions/:ref/settle   {outcome: success | failure | reversed}
 *   GET  /__sim/transactions/:ref          the simulator's record (createCount stays 1 for duplicates)
 *   POST /__sim/faults      {endpoint, kind: error_5xx | timeout_after_effect | slow, count?, delayMs?}
 *   DELETE /__sim/faults    the provider is healthy again (scenarios and orders stay)
 *   GET  /__sim/requests, GET /__sim/webhooks, POST /__sim/reset
 *
 * An order's state is a function of time since it was created and its scenario, so status
 * answers are consistent with the webhooks, which timers send at each transition.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { signWebhook, SIGNATURE_HEADER } from '../providers/signedWebhook';
import { createTimers } from './phonepe/timers';

export type Phase = 'processing' | 'pending' | 'success' | 'failure' | 'reversed';
export const OUTCOMES = [
  'success',
  'failure',
  'pending',
  'pending_then_success',
  'pending_then_failure',
  'success_then_reversed',
] as const;

/** How long an order is "processing" before a plain success or failure. */
export const PROCESSING_MS = 200;

export const scenarioInput = z.object({
  match: z.string().min(1).optional(),
  outcome: z.enum(OUTCOMES),
  pendingMs: z.number().int().min(0).max(3_600_000).default(1000),
  reverseAfterMs: z.number().int().min(0).max(3_600_000).default(1000),
  failureReason: z.string().max(200).optional(),
  webhook: z.enum(['send', 'drop', 'duplicate', 'out_of_order']).default('send'),
  webhookDelayMs: z.number().int().min(0).max(600_000).default(0),
});
export type Scenario = z.infer<typeof scenarioInput>;

const DEFAULT_SCENARIO: Scenario = {
  outcome: 'success',
  pendingMs: 1000,
  reverseAfterMs: 1000,
  webhook: 'send',
  webhookDelayMs: 0,
};

const faultInput = z.object({
  endpoint: z.string().min(1),
  kind: z.enum(['error_5xx', 'timeout_after_effect', 'slow']),
  count: z.number().int().min(1).max(1000).default(1),
  delayMs: z.number().int().min(0).max(120_000).optional(),
});
type Fault = z.infer<typeof faultInput>;

export interface SimOrder<T> {
  ref: string;
  /** What scenarios match on. */
  key: string;
  createdAt: number;
  scenario: Scenario;
  /** Set by the control API: from `at` on, the order is in `phase`. */
  manual?: { phase: Phase; at: number };
  /** Times the order was actually executed (paid, recharged): 1, whatever the duplicates. */
  createCount: number;
  duplicateRequests: number;
  data: T;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  body: unknown;
}

export interface WebhookLogEntry {
  at: string;
  ref: string;
  phase: Phase;
  attempt: number;
  status: number | 'error';
}

export interface SimCoreOptions<T> {
  name: string;
  apiKey: string;
  webhookSecret: string;
  webhookUrl?: string;
  /** The provider's webhook body for an order in a phase (may return null: no webhook for it). */
  webhookBody(order: SimOrder<T>, phase: Phase): object | null;
  /** The public view of an order, for GET /__sim/transactions/:ref. */
  view(order: SimOrder<T>, phase: Phase): object;
  /** Clears the simulator's own state too on POST /__sim/reset (fetched bills, scripted accounts). */
  onReset?: () => void;
}

export function phaseAt(o: SimOrder<unknown>, now = Date.now()): Phase {
  if (o.manual && now >= o.manual.at) return o.manual.phase;
  const t = now - o.createdAt;
  const s = o.scenario;
  switch (s.outcome) {
    case 'success':
      return t < PROCESSING_MS ? 'processing' : 'success';
    case 'failure':
      return t < PROCESSING_MS ? 'processing' : 'failure';
    case 'pending':
      return 'pending';
    case 'pending_then_success':
      return t < s.pendingMs ? 'pending' : 'success';
    case 'pending_then_failure':
      return t < s.pendingMs ? 'pending' : 'failure';
    case 'success_then_reversed':
      return t < PROCESSING_MS ? 'processing' : t < PROCESSING_MS + s.reverseAfterMs ? 'success' : 'reversed';
  }
}

/** When each webhook-worthy transition happens, in ms after creation. */
function transitions(s: Scenario): Array<{ atMs: number; phase: Phase }> {
  switch (s.outcome) {
    case 'success':
      return [{ atMs: PROCESSING_MS, phase: 'success' }];
    case 'failure':
      return [{ atMs: PROCESSING_MS, phase: 'failure' }];
    case 'pending':
      return [];
    case 'pending_then_success':
      return [{ atMs: s.pendingMs, phase: 'success' }];
    case 'pending_then_failure':
      return [{ atMs: s.pendingMs, phase: 'failure' }];
    case 'success_then_reversed':
      return [
        { atMs: PROCESSING_MS, phase: 'success' },
        { atMs: PROCESSING_MS + s.reverseAfterMs, phase: 'reversed' },
      ];
  }
}

const WEBHOOK_ATTEMPTS = 4;

export function createSimCore<T>(o: SimCoreOptions<T>) {
  const orders = new Map<string, SimOrder<T>>();
  const scenarios: Scenario[] = [];
  const faults: Fault[] = [];
  const requests: RequestLogEntry[] = [];
  const webhooks: WebhookLogEntry[] = [];
  const timers = createTimers();

  const scenarioFor = (key: string): Scenario => {
    for (let i = scenarios.length - 1; i >= 0; i--) {
      const s = scenarios[i]!;
      if (s.match === undefined || s.match === key) return s;
    }
    return DEFAULT_SCENARIO;
  };

  async function post(order: SimOrder<T>, phase: Phase, body: object, generation: number): Promise<void> {
    const url = o.webhookUrl;
    if (!url) return;
    const raw = JSON.stringify(body);
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      if (timers.generation !== generation) return;
      let status: number | 'error';
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(raw, o.webhookSecret) },
          body: raw,
          signal: AbortSignal.any([AbortSignal.timeout(5000), timers.signal]),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 'error';
      }
      if (timers.generation !== generation) return;
      webhooks.push({ at: new Date().toISOString(), ref: order.ref, phase, attempt, status });
      if (typeof status === 'number' && status >= 200 && status < 300) return;
      if (!(await timers.sleep(200 * 2 ** (attempt - 1)))) return;
    }
  }

  /** Sends the webhook for `phase` per the order's scenario (drop, duplicate, out of order, delay). */
  async function notify(order: SimOrder<T>, phase: Phase): Promise<void> {
    const s = order.scenario;
    if (s.webhook === 'drop') return;
    const generation = timers.generation;
    if (!(await timers.sleep(s.webhookDelayMs))) return;
    const body = o.webhookBody(order, phase);
    if (!body) return;
    await post(order, phase, body, generation);
    if (s.webhook === 'duplicate') await post(order, phase, body, generation);
    if (s.webhook === 'out_of_order') {
      const stale = o.webhookBody(order, s.outcome.startsWith('pending') ? 'pending' : 'processing');
      if (stale) await post(order, 'processing', stale, generation);
    }
  }

  function schedule(order: SimOrder<T>): void {
    for (const t of transitions(order.scenario)) {
      void timers.sleep(order.createdAt + t.atMs - Date.now()).then((fired) => {
        // A manual settle may have overtaken the script: only announce what is true now. (Timers
        // may fire a millisecond early, so "now" is at least the transition's own time.)
        if (fired && phaseAt(order, Math.max(Date.now(), order.createdAt + t.atMs)) === t.phase)
          void notify(order, t.phase);
      });
    }
  }

  const core = {
    name: o.name,
    orders,
    requests,
    webhooks,

    /** Executes an order once; a repeat of the reference returns the original untouched. */
    create(ref: string, key: string, data: T): { order: SimOrder<T>; duplicate: boolean } {
      const existing = orders.get(ref);
      if (existing) {
        existing.duplicateRequests++;
        return { order: existing, duplicate: true };
      }
      const order: SimOrder<T> = {
        ref,
        key,
        createdAt: Date.now(),
        scenario: scenarioFor(key),
        createCount: 1,
        duplicateRequests: 0,
        data,
      };
      orders.set(ref, order);
      schedule(order);
      return { order, duplicate: false };
    },

    phase: (order: SimOrder<T>) => phaseAt(order),

    /** Middleware for protocol routes: API key, then the request log. */
    async authenticate(ctx: Context, next: Next): Promise<void> {
      if (ctx.get('x-api-key') !== o.apiKey) {
        ctx.status = 401;
        ctx.body = { code: 'UNAUTHORIZED', message: 'missing or wrong X-Api-Key' };
        return;
      }
      requests.push({
        at: new Date().toISOString(),
        method: ctx.method,
        path: ctx.path,
        body: ctx.request.body ?? null,
      });
      await next();
    },

    /**
     * Runs a protocol endpoint under its scripted fault: `error_5xx` answers 503 without
     * effect; `slow` delays the answer; `timeout_after_effect` takes effect, then answers too
     * late for the client (outcome unknown to it).
     */
    async respond(ctx: Context, endpoint: string, effect: () => { status: number; body: object }): Promise<void> {
      const i = faults.findIndex((f) => f.endpoint === endpoint);
      const fault = i >= 0 ? faults[i]! : undefined;
      if (fault && --fault.count <= 0) faults.splice(i, 1);
      if (fault?.kind === 'error_5xx') {
        ctx.status = 503;
        ctx.body = { code: 'SERVICE_UNAVAILABLE', message: 'scripted 5xx' };
        return;
      }
      if (fault?.kind === 'slow') await timers.sleep(fault.delayMs ?? 1500);
      const r = effect();
      if (fault?.kind === 'timeout_after_effect') await timers.sleep(fault.delayMs ?? 3000);
      ctx.status = r.status;
      ctx.body = r.body;
    },

    /** The shared control routes; `extra` lets a simulator add its own. */
    controlRoutes(router: Router): void {
      router.post('/__sim/scenarios', (ctx) => {
        const s = scenarioInput.parse(ctx.request.body ?? {});
        scenarios.push(s);
        ctx.body = { scenario: s };
      });
      router.post('/__sim/transactions/:ref/settle', (ctx) => {
        const { outcome } = z
          .object({ outcome: z.enum(['success', 'failure', 'reversed']) })
          .parse(ctx.request.body ?? {});
        const order = orders.get(ctx.params.ref!);
        if (!order) {
          ctx.status = 404;
          ctx.body = { code: 'NOT_FOUND', message: 'no such transaction' };
          return;
        }
        order.manual = { phase: outcome, at: Date.now() };
        void notify(order, outcome);
        ctx.body = o.view(order, outcome);
      });
      router.get('/__sim/transactions/:ref', (ctx) => {
        const order = orders.get(ctx.params.ref!);
        if (!order) {
          ctx.status = 404;
          ctx.body = { code: 'NOT_FOUND', message: 'no such transaction' };
          return;
        }
        ctx.body = {
          ...o.view(order, phaseAt(order)),
          phase: phaseAt(order),
          createCount: order.createCount,
          payCount: order.createCount,
          duplicateRequests: order.duplicateRequests,
          scenario: order.scenario,
        };
      });
      router.post('/__sim/faults', (ctx) => {
        const f = faultInput.parse(ctx.request.body ?? {});
        faults.push(f);
        ctx.body = { faults };
      });
      router.delete('/__sim/faults', (ctx) => {
        faults.length = 0;
        ctx.body = { faults };
      });
      router.get('/__sim/requests', (ctx) => {
        ctx.body = requests;
      });
      router.get('/__sim/webhooks', (ctx) => {
        ctx.body = webhooks;
      });
      router.post('/__sim/reset', (ctx) => {
        core.reset();
        ctx.body = { reset: true };
      });
    },

    reset(): void {
      timers.cancelAll();
      orders.clear();
      scenarios.length = 0;
      faults.length = 0;
      requests.length = 0;
      webhooks.length = 0;
      o.onReset?.();
    },

    close(): void {
      timers.cancelAll();
    },
  };
  return core;
}

export type SimCore<T> = ReturnType<typeof createSimCore<T>>;

/** 400 with {code, message} for a body that does not parse, the way the providers answer. */
export function badRequest(ctx: Context, error: z.ZodError): void {
  ctx.status = 400;
  ctx.body = { code: 'BAD_REQUEST', message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
