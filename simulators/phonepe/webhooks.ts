/**
 * Sends callbacks the way PhonePe does: header `Authorization: sha256(username:password)`,
 * body {event, type (legacy), payload}, retried with backoff until answered 2xx (our API answers
 * 404 for an order it does not know yet, on purpose). Delay, duplicates and drops are faults.
 */
import { expectedAuthorization } from '../../providers/phonepe/webhook';
import type { PhonePeFaults, WebhookLogEntry } from './state';
import type { Timers } from './timers';

export interface WebhookMessage {
  event: string;
  payload: Record<string, unknown> & { merchantOrderId?: string; merchantRefundId?: string };
}

export interface WebhookSenderOptions {
  url: () => string | undefined;
  username: string;
  password: string;
  faults: PhonePeFaults;
  log: WebhookLogEntry[];
  timers: Timers;
}

const ATTEMPTS = 4;
const FIRST_RETRY_MS = 200;

/** Sends the messages in order, in the background; returns when all were sent or given up. */
export function createWebhookSender(o: WebhookSenderOptions) {
  async function post(url: string, m: WebhookMessage, generation: number): Promise<void> {
    const body = JSON.stringify({
      event: m.event,
      type: m.event.toUpperCase().replace(/\./g, '_'),
      payload: m.payload,
    });
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (o.timers.generation !== generation) return;
      let status: number | 'error';
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: expectedAuthorization(o.username, o.password) },
          body,
          signal: AbortSignal.any([AbortSignal.timeout(5000), o.timers.signal]),
        });
        await res.arrayBuffer();
        status = res.status;
      } catch {
        status = 'error';
      }
      // A reset during the request aborted it: it belongs to the old generation, not this log.
      if (o.timers.generation !== generation) return;
      o.log.push({
        at: new Date().toISOString(),
        event: m.event,
        merchantOrderId: m.payload.merchantOrderId,
        merchantRefundId: m.payload.merchantRefundId,
        attempt,
        status,
      });
      if (typeof status === 'number' && status >= 200 && status < 300) return;
      if (!(await o.timers.sleep(FIRST_RETRY_MS * 2 ** (attempt - 1)))) return;
    }
  }

  return async function send(messages: WebhookMessage[]): Promise<void> {
    const url = o.url();
    if (!url || o.faults.dropWebhooks) return;
    const generation = o.timers.generation;
    if (!(await o.timers.sleep(o.faults.webhookDelayMs ?? 0))) return;
    const copies = 1 + (o.faults.webhookDuplicates ?? 0);
    for (const m of messages) {
      for (let i = 0; i < copies; i++) await post(url, m, generation);
    }
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;
