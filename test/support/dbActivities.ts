import type { Knex } from 'knex';
import type { Paise } from '../../domain/money';
import type { StatusChange } from '../../domain/payments';
import { createActivities } from '../../activities';
import { createPhonePeClient } from '../../providers/phonepe/client';

/**
 * The worker's activities over `knex`, for tests of steps that only touch the database: no
 * provider is called, so PhonePe's client points nowhere.
 */
export const databaseActivities = (knex: Knex) =>
  createActivities({
    knex,
    phonepe: createPhonePeClient({
      baseUrl: 'http://127.0.0.1:1',
      clientId: 'unused',
      clientVersion: '1',
      clientSecret: 'unused',
      timeoutMs: 1000,
    }),
  });

let transfers = 0;
type User = { id: number; userCode: string };

/** The transfer's one step (`completeTransfer`) moving `amount` from `from` to `to`, under a fresh payment id. */
export function transferStep(from: User, to: User, amount: Paise) {
  const paymentId = `pay_XFER${Date.now()}${++transfers}`;
  const completed: StatusChange = { paymentId, status: 'COMPLETED', note: `transferred to ${to.userCode}` };
  return {
    paymentId,
    senderId: from.id,
    senderCode: from.userCode,
    recipientId: to.id,
    recipientCode: to.userCode,
    amount,
    completed,
  };
}
