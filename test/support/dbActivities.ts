import type { Knex } from 'knex';
import type { Paise } from '../../domain/money';
import type { StatusChange } from '../../domain/payments';
import { createActivities } from '../../activities';
import { createPhonePeClient } from '../../providers/phonepe/client';
import { createTestDatabase } from './db';
import { expectLedgerInvariants } from './ledger';

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

export interface StepDatabase {
  knex: Knex;
  acts: ReturnType<typeof databaseActivities>;
}

/**
 * For a suite that runs the worker's steps on MariaDB: a database of its own with the activities
 * over it, made before the suite's tests and dropped after them, and the ledger invariants
 * checked after every test. The fields are set once `beforeAll` has run.
 */
export function useStepDatabase(opts: { poolMax?: number } = {}): StepDatabase {
  const steps = {} as StepDatabase;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const db = await createTestDatabase(opts);
    drop = () => db.drop();
    steps.knex = db.knex;
    steps.acts = databaseActivities(db.knex);
  });
  afterAll(() => drop?.());
  afterEach(() => expectLedgerInvariants(steps.knex));
  return steps;
}

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
