/**
 * Which channel an operator's decision came from. The admin API signs what it sends (payment,
 * outcome, reason, operator) with a key the worker shares; a decision without a valid proof came
 * from somewhere else with access to Temporal (the UI, the CLI), so the name typed there is not
 * trusted: it is recorded as claimed, and the actor as `temporal-ui`.
 * Node only (node:crypto): used by the API and the activities, never by workflow code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedFields {
  paymentId: string;
  outcome: string;
  reason: string;
  operator: string;
}

/** The HMAC key, derived from the secret the API and the worker share (JWT_SECRET). */
export const decisionKeyFrom = (secret: string) =>
  createHmac('sha256', secret).update('nexaspay:operator-decision:v1').digest();

const mac = (key: Buffer, f: SignedFields) =>
  createHmac('sha256', key)
    .update(JSON.stringify([f.paymentId, f.outcome, f.reason, f.operator]))
    .digest('hex');

export const signDecision = (key: Buffer, f: SignedFields) => mac(key, f);

export function decisionIsSigned(key: Buffer, f: SignedFields, proof: string | undefined): boolean {
  if (!proof || !/^[0-9a-f]{64}$/.test(proof)) return false;
  return timingSafeEqual(Buffer.from(mac(key, f), 'hex'), Buffer.from(proof, 'hex'));
}
