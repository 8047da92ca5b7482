/**
 * Idempotency keys for `POST /v1/payments/*`: per user, kept at least 24 h. The first request
 * with a key claims it and fixes the payment id; a repeat with the same body gets the same
 * payment (and, once stored, the same response); the same key with a different body is a 409.
 * The unique key (user_id, idempotency_key) decides races: concurrent twins all land on the
 * one payment id the winner claimed.
 *
 * Every payment request runs the claim and the store: plain prepared statements (db/sql.ts),
 * not knex's query builder, whose CPU per call was more than the statement's own.
 */
import type { Knex } from 'knex';
import { ConflictError } from '../domain/errors';
import { insertRow, isDuplicateKey, selectRows, update } from './sql';

export type IdempotencyClaim =
  | { fresh: true; resourceId: string }
  | { fresh: false; resourceId: string; response: { status: number; body: unknown } | null };

const TTL_MS = 24 * 3_600_000;

interface ClaimRow {
  id: number;
  request_fingerprint: string;
  resource_id: string;
  response_status: number | null;
  response_body: unknown;
  expires_at: Date | string;
}

export async function claimIdempotencyKey(
  knex: Knex,
  c: { userId: number; key: string; fingerprint: string; resourceId: string; now?: Date },
): Promise<IdempotencyClaim> {
  const now = c.now ?? new Date();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await insertRow(knex, 'idempotency_keys', {
        user_id: c.userId,
        idempotency_key: c.key,
        request_fingerprint: c.fingerprint,
        resource_id: c.resourceId,
        created_at: now,
        expires_at: new Date(now.getTime() + TTL_MS),
      });
      return { fresh: true, resourceId: c.resourceId };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const [row] = await selectRows<ClaimRow>(
      knex,
      `SELECT id, request_fingerprint, resource_id, response_status, response_body, expires_at
         FROM idempotency_keys WHERE user_id = ? AND idempotency_key = ?`,
      [c.userId, c.key],
    );
    if (!row) continue; // expired and purged between the two statements: claim again
    if (new Date(row.expires_at) <= now) {
      // An expired key starts over; deleting by id keeps a concurrent re-claim safe.
      await update(knex, 'DELETE FROM idempotency_keys WHERE id = ?', [row.id]);
      continue;
    }
    if (row.request_fingerprint !== c.fingerprint) {
      throw new ConflictError('this Idempotency-Key was used with a different request', 'idempotency_key_reused');
    }
    const body =
      row.response_body === null
        ? null
        : typeof row.response_body === 'string'
          ? JSON.parse(row.response_body)
          : row.response_body;
    return {
      fresh: false,
      resourceId: row.resource_id,
      response: row.response_status === null ? null : { status: row.response_status, body },
    };
  }
  throw new ConflictError('could not claim the Idempotency-Key; retry', 'idempotency_key_busy');
}

export async function storeIdempotentResponse(
  knex: Knex,
  r: { userId: number; key: string; status: number; body: unknown },
): Promise<void> {
  await update(
    knex,
    `UPDATE idempotency_keys SET response_status = ?, response_body = ?
      WHERE user_id = ? AND idempotency_key = ? AND response_status IS NULL`,
    [r.status, JSON.stringify(r.body), r.userId, r.key],
  );
}

export async function purgeExpiredIdempotencyKeys(knex: Knex, now = new Date()): Promise<number> {
  return knex('idempotency_keys').where('expires_at', '<', now).delete();
}
