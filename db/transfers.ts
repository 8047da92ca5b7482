/** Lookups a transfer needs before it reaches the ledger (which re-checks everything under locks). */
import type { Knex } from 'knex';
import { Paise } from '../domain/money';
import { workflowIdFor } from '../domain/payments';
import { insertPaymentRecord, NewPayment } from './payments';
import { Db, selectRows } from './sql';

export async function findUserByCode(
  knex: Knex,
  userCode: string,
): Promise<{ id: number; userCode: string; isActive: boolean } | undefined> {
  const [row] = await selectRows<{ id: number; user_code: string; is_active: number }>(
    knex,
    'SELECT id, user_code, is_active FROM users WHERE user_code = ? LIMIT 1',
    [userCode],
  );
  return row ? { id: row.id, userCode: row.user_code, isActive: Boolean(row.is_active) } : undefined;
}

export interface TransferRecordInput {
  paymentId: string;
  senderId: number;
  recipientId: number;
  recipientCode: string;
  amount: Paise;
  fee?: Paise;
  remarks?: string;
}

/** A transfer's payment record, the sender's. */
export function transferRecord(t: TransferRecordInput): NewPayment {
  return {
    id: t.paymentId,
    kind: 'transfer',
    userId: t.senderId,
    amount: t.amount,
    ...(t.fee ? { fee: t.fee } : {}),
    workflowId: workflowIdFor('transfer', t.paymentId),
    details: {
      recipientId: t.recipientId,
      recipientCode: t.recipientCode,
      ...(t.remarks ? { remarks: t.remarks } : {}),
    },
  };
}

/** Creates the transfer's record (CREATED) unless it exists. */
export async function createTransferRecord(db: Db, t: TransferRecordInput): Promise<void> {
  await insertPaymentRecord(db, transferRecord(t));
}
