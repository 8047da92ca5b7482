/**
 * The payments read model: one `payment_records` row per payment, kept current by its workflow
 * through activities, plus the append-only `payment_events` timeline. Every write is idempotent
 * so activity retries and workflow replays cannot add a second row or a second timeline entry.
 */
import type { Knex } from 'knex';
import { BusinessRuleError, InvariantViolation, NotFoundError } from '../domain/errors';
import { Paise, ZERO } from '../domain/money';
import { referenceSql } from '../domain/references';
import {
  canTransition,
  isOpen,
  OPEN_STATUSES,
  PaymentKind,
  PaymentStatus,
  StatusChange,
  statusesBefore,
  TimelineEntry,
} from '../domain/payments';
import { fromDecimal, toDecimal } from './money';
import {
  Db,
  insertRow,
  inSqlTransaction,
  isDuplicateKey,
  selectRows,
  SqlTransaction,
  update,
  updateWhere,
} from './sql';
import { reversalWatchAssignments, startReversalWatch } from './reversalWatch';
import { settleUndeliveredReversals } from './webhooks';
import { newestFirstPage } from './statements';

export interface PaymentRecord {
  id: string;
  kind: PaymentKind;
  userId: number;
  amount: Paise;
  fee: Paise;
  status: PaymentStatus;
  workflowId: string;
  providerRef: string | null;
  providerRefs: Record<string, string>;
  failureReason: string | null;
  transactionId: number | null;
  gatewayPaymentId: number | null;
  relatedPaymentId: string | null;
  details: Record<string, unknown>;
  /** Set by the orphan sweeper: the workflow stopped while the payment was open. */
  orphanReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const json = (v: unknown) => (v === null || v === undefined ? {} : typeof v === 'string' ? JSON.parse(v) : v);

function toRecord(row: Record<string, any>): PaymentRecord {
  return {
    id: row.id,
    kind: row.kind,
    userId: row.user_id,
    amount: fromDecimal(row.amount),
    fee: fromDecimal(row.fee),
    status: row.status,
    workflowId: row.workflow_id,
    providerRef: row.provider_ref,
    providerRefs: json(row.provider_refs),
    failureReason: row.failure_reason,
    transactionId: row.transaction_id,
    gatewayPaymentId: row.gateway_payment_id,
    relatedPaymentId: row.related_payment_id,
    details: json(row.details),
    orphanReason: row.orphan_reason ?? null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewPayment {
  id: string;
  kind: PaymentKind;
  userId: number;
  amount: Paise;
  fee?: Paise;
  workflowId: string;
  transactionId?: number;
  gatewayPaymentId?: number;
  relatedPaymentId?: string;
  details?: Record<string, unknown>;
}

/** Creates the record (status CREATED) or returns the existing one: safe to retry. */
export async function createPaymentRecord(db: Knex | Knex.Transaction, p: NewPayment): Promise<PaymentRecord> {
  await insertPaymentRecord(db, p);
  return getPayment(db, p.id);
}

/**
 * Creates the record (status CREATED) unless it exists: safe to retry. For the workflows' steps,
 * which need nothing back: one round trip fewer than reading the record again. The timeline's
 * CREATED entry is written by the insert itself (trigger `payment_records_timeline_start`,
 * migration 025). False when the record was there: a re-run.
 */
export async function insertPaymentRecord(db: Db, p: NewPayment): Promise<boolean> {
  return insertRecord(db, p, { status: 'CREATED' });
}

/**
 * Refuses, as `code` with the recorded reason, a payment whose record reads FAILED: a worker can
 * die after the workflow recorded FAILED but before its history kept the refused step, and an
 * operator's reset can run a step again, so a step that would move, hold or send money checks
 * first (the first refusal's own code is not kept). A re-run thus never moves or holds money for
 * a payment the read model already calls failed, even if the funds have arrived since.
 */
export async function refuseIfFailed(db: Db, paymentId: string, code: string): Promise<void> {
  const rec = await getPayment(db, paymentId);
  if (rec.status === 'FAILED') throw new BusinessRuleError(code, rec.failureReason ?? 'payment refused', { paymentId });
}

/**
 * Creates the record already moved by `change` from CREATED, in the caller's transaction: for a
 * payment whose record and first change commit together (a transfer's one step). Its timeline
 * reads CREATED (the insert's trigger), then the change, as if recorded in two steps, with one
 * statement and the report deltas of an UPDATE fewer (a CREATED counted, then taken back). False
 * when the record exists (a re-run): nothing is written but the CREATED entry a record from before
 * migration 025 may lack, and the caller records the change the usual way, which checks the status
 * machine against the stored status.
 */
export async function insertPaymentRecordMoved(trx: SqlTransaction, p: NewPayment, change: StatusChange) {
  if (change.paymentId !== p.id || !isOwnMove(change) || !statusesBefore(change.status).includes('CREATED'))
    throw new InvariantViolation(`a record cannot be created moved to ${change.status} by this change`);
  if (!(await insertRecord(trx, p, columnsOf(change)))) return false;
  await afterMove(trx, change);
  return true;
}

/** Inserts the record with `columns` (its status among them); false if it exists. */
async function insertRecord(db: Db, p: NewPayment, columns: Record<string, unknown>): Promise<boolean> {
  try {
    await insertRow(db, 'payment_records', {
      id: p.id,
      kind: p.kind,
      user_id: p.userId,
      amount: toDecimal(p.amount),
      fee: toDecimal(p.fee ?? (0 as Paise)),
      workflow_id: p.workflowId,
      transaction_id: p.transactionId ?? null,
      gateway_payment_id: p.gatewayPaymentId ?? null,
      related_payment_id: p.relatedPaymentId ?? null,
      details: JSON.stringify(p.details ?? {}),
      ...columns,
    });
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    // A retry: the record is there. A record written before migration 025, by two statements,
    // may have lost its first timeline entry to a crash between them; written only while the
    // timeline is empty, so it never lands after a later status.
    await update(
      db,
      `INSERT INTO payment_events (payment_id, status)
       SELECT ?, 'CREATED' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM payment_events WHERE payment_id = ?)`,
      [p.id, p.id],
    );
    return false;
  }
}

/** The statement line a payment's settling posting wrote, shown with the payment. */
export async function linkStatementLine(db: Db, paymentId: string, transactionId: number): Promise<void> {
  await update(db, 'UPDATE payment_records SET transaction_id = ? WHERE id = ?', [transactionId, paymentId]);
}

/** Plain SQL (db/sql.ts): the workflows' steps read a record several times a payment. */
export async function getPayment(db: Db, id: string): Promise<PaymentRecord> {
  const [row] = await selectRows(db, 'SELECT * FROM payment_records WHERE id = ?', [id]);
  if (!row) throw new NotFoundError('payment not found', { paymentId: id });
  return toRecord(row);
}

/** An operator decision being applied, as the audit log records it. */
export interface DecisionAudit {
  channel: 'admin-api' | 'temporal-ui';
  /** The admin's user code when the channel vouches for it. */
  operatorUserCode: string | null;
  outcome: 'succeeded' | 'failed';
  reason: string;
  /** A name typed where it cannot be verified (the Temporal UI). */
  claimedOperator?: string;
}

/**
 * Moves the record to `status` (checked against the status machine) and appends a timeline
 * entry when the status changes, or when an operator acts. Repeating the same change is a no-op.
 * With `decision`, the settlement is written to audit_logs in the same transaction, once.
 *
 * Plain SQL in a transaction of its own (db/sql.ts): every payment records two or three status
 * changes from its workflow, and knex's transaction and builder cost more CPU than the statements.
 */
export async function recordPaymentStatus(
  knex: Knex,
  change: StatusChange,
  opts: { decision?: DecisionAudit } = {},
): Promise<void> {
  return inSqlTransaction(knex, (trx) => recordPaymentStatusIn(trx, change, opts));
}

/** `recordPaymentStatus` within the caller's transaction (a transfer's posting: activities/transfer.ts). */
export async function recordPaymentStatusIn(
  trx: SqlTransaction,
  change: StatusChange,
  opts: { decision?: DecisionAudit } = {},
): Promise<void> {
  if (opts.decision) await auditDecision(trx, change, opts.decision);
  if (await movedWithoutReading(trx, change)) return;
  const [row] = await selectRows(trx, 'SELECT * FROM payment_records WHERE id = ? FOR UPDATE', [change.paymentId]);
  if (!row) throw new NotFoundError('payment not found', { paymentId: change.paymentId });
  const current = toRecord(row);
  if (!canTransition(current.status, change.status)) {
    throw new InvariantViolation(`payment ${current.id} cannot go from ${current.status} to ${change.status}`);
  }
  const update = columnsOf(change);
  // FAILED is final, and so is why: a repeat (a re-run refused again, a reset) keeps the reason
  // first recorded, the one the client was given.
  if (current.status === 'FAILED' && current.failureReason !== null) delete update.failure_reason;
  if (change.providerRefs) update.provider_refs = JSON.stringify({ ...current.providerRefs, ...change.providerRefs });
  if (change.details) update.details = JSON.stringify({ ...current.details, ...change.details });
  // A reversed payment has nothing left to watch for (db/reversalWatch.ts).
  if (change.status === 'REVERSED') update.reversal_check_at = null;
  await updateWhere(trx, 'payment_records', { id: current.id }, update);
  await watchForReversal(trx, change);
  if (change.status === 'REVERSED') await settleUndeliveredReversals(trx, current.id);
  const note = noteOf(change);
  if (
    current.status !== change.status ||
    (change.actor && !(await isLastEvent(trx, current.id, change.status, note)))
  ) {
    await insertRow(trx, 'payment_events', {
      payment_id: current.id,
      status: change.status,
      note,
      actor: change.actor ?? null,
    });
  }
}

/**
 * The usual change, a move to a new status by the payment's own workflow, made by one UPDATE
 * that takes effect only from a status allowed to move to it, instead of reading the record
 * first: one round trip fewer for such a change, one more for a repeated one (docs/performance.md,
 * "Each workflow evaluates only its own modules, and a payment writes two statements fewer").
 *
 * The refs it carries are merged into the stored ones by the server, and the reversal watch it
 * starts is set by the same UPDATE: a settling payment's COMPLETED is one statement, not three.
 *
 * False when the UPDATE matched nothing (no such payment, the status already recorded, or a move
 * the status machine refuses) or when the change needs the record's current values (an
 * operator's act, details merged into the stored ones, a reversal): the caller then reads the
 * record and decides, as before.
 */
async function movedWithoutReading(trx: SqlTransaction, change: StatusChange): Promise<boolean> {
  const from = statusesBefore(change.status);
  if (from.length === 0 || !movesWithoutReading(change)) return false;
  const set = columnsOf(change);
  const assignments = Object.keys(set).map((c) => `${c} = ?`);
  const values = Object.values(set);
  if (change.providerRefs) {
    // Merged into the stored refs by the server, as the read below merges them (flat, new keys win).
    assignments.push(`provider_refs = JSON_MERGE_PATCH(IFNULL(provider_refs, '{}'), ?)`);
    values.push(JSON.stringify(change.providerRefs));
  }
  const watch = startsWatch(change);
  if (watch !== undefined) {
    const w = reversalWatchAssignments(watch);
    assignments.push(w.sql);
    values.push(...w.values);
  }
  const moved = await update(
    trx,
    `UPDATE payment_records SET ${assignments.join(', ')}
      WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`,
    [...values, change.paymentId, ...from],
  );
  if (moved === 0) return false;
  await insertEvent(trx, change);
  return true;
}

/**
 * A change the UPDATE above can make without reading the record: no operator's act, no details
 * merged into the stored ones, not a reversal.
 */
const movesWithoutReading = (change: StatusChange) => !change.actor && !change.details && change.status !== 'REVERSED';

/** A move by the payment's own workflow from the change's values alone: nothing to merge at all. */
const isOwnMove = (change: StatusChange) => movesWithoutReading(change) && !change.providerRefs;

/** Once such a move is written on the record: its reversal watch, if it starts one, and its timeline entry. */
async function afterMove(trx: SqlTransaction, change: StatusChange): Promise<void> {
  await watchForReversal(trx, change);
  await insertEvent(trx, change);
}

/** The timeline entry of a move by the payment's own workflow. */
async function insertEvent(trx: SqlTransaction, change: StatusChange): Promise<void> {
  await insertRow(trx, 'payment_events', {
    payment_id: change.paymentId,
    status: change.status,
    note: noteOf(change),
    actor: null,
  });
}

/** The window of the reversal watch a change starts: a payment completed by a provider that can still reverse it. */
const startsWatch = (change: StatusChange) => (change.status === 'COMPLETED' ? change.reversalWatchMs : undefined);

async function watchForReversal(trx: SqlTransaction, change: StatusChange): Promise<void> {
  const watch = startsWatch(change);
  if (watch !== undefined) await startReversalWatch(trx, change.paymentId, watch);
}

/** The columns a change sets from its own values, without the record's current ones. */
function columnsOf(change: StatusChange): Record<string, unknown> {
  const set: Record<string, unknown> = { status: change.status };
  if (change.failureReason !== undefined) set.failure_reason = change.failureReason?.slice(0, 1000) ?? null;
  if (change.providerRef !== undefined) set.provider_ref = change.providerRef;
  if (change.transactionId !== undefined) set.transaction_id = change.transactionId;
  return set;
}

const noteOf = (change: StatusChange) => change.note?.slice(0, 1000) ?? null;

/** Whether the timeline already ends with this status and note: an operator's act repeated. */
async function isLastEvent(trx: SqlTransaction, paymentId: string, status: PaymentStatus, note: string | null) {
  const [last] = await selectRows<{ status: string; note: string | null }>(
    trx,
    'SELECT status, note FROM payment_events WHERE payment_id = ? ORDER BY id DESC LIMIT 1',
    [paymentId],
  );
  return last !== undefined && last.status === status && (last.note ?? null) === note;
}

async function auditDecision(trx: SqlTransaction, change: StatusChange, d: DecisionAudit): Promise<void> {
  const target = { action: 'payment.operator_decision', target_type: 'payment', target_id: change.paymentId };
  const [done] = await selectRows(
    trx,
    `SELECT id FROM audit_logs
      WHERE action = ? AND target_type = ? AND target_id = ? AND JSON_VALUE(details, '$.status') = ? LIMIT 1`,
    [target.action, target.target_type, target.target_id, change.status],
  );
  if (done) return;
  const [actor] = d.operatorUserCode
    ? await selectRows<{ id: number }>(trx, 'SELECT id FROM users WHERE user_code = ? LIMIT 1', [d.operatorUserCode])
    : [];
  await insertRow(trx, 'audit_logs', {
    ...target,
    actor_user_id: actor?.id ?? null,
    outcome: 'success',
    details: JSON.stringify({
      channel: d.channel,
      operator: d.operatorUserCode ?? 'temporal-ui',
      decision: d.outcome,
      reason: d.reason,
      status: change.status,
      ...(d.claimedOperator ? { claimedOperator: d.claimedOperator } : {}),
    }),
  });
}

export async function paymentTimeline(db: Knex | Knex.Transaction, paymentId: string): Promise<TimelineEntry[]> {
  const rows = await db('payment_events').where({ payment_id: paymentId }).orderBy('id');
  return rows.map((r) => ({
    status: r.status,
    at: new Date(r.created_at).toISOString(),
    ...(r.note ? { note: r.note } : {}),
    ...(r.actor ? { actor: r.actor } : {}),
  }));
}

export interface PaymentListFilters {
  userId?: number;
  kind?: string;
  status?: string;
  from?: Date;
  to?: Date;
  /** Only payments not updated since this moment (stuck ones). */
  olderThan?: Date;
  limit: number;
  cursor?: string;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listPayments(
  knex: Knex,
  f: PaymentListFilters,
): Promise<{ items: PaymentRecord[]; nextCursor: string | null }> {
  const q = knex('payment_records');
  if (f.userId !== undefined) q.where({ user_id: f.userId });
  if (f.kind) q.where({ kind: f.kind });
  if (f.status) q.where({ status: f.status });
  if (f.from) q.where('created_at', '>=', f.from);
  if (f.to) q.where('created_at', '<', f.to);
  if (f.olderThan) q.where('updated_at', '<', f.olderThan);
  const { rows, nextCursor } = await newestFirstPage(q, f.cursor, f.limit, 'string');
  return { items: rows.map(toRecord), nextCursor };
}

export type PaymentNeedingOps = PaymentRecord & {
  /** Why ops should look: an orphaned workflow, or events finance has to settle; null for a plain open payment. */
  attention: string | null;
  /** Money still in the payment's hold (zero when it holds none). */
  held: Paise;
  /** The newest note on its timeline: why it is where it is (a NEEDS_ATTENTION's cause, say). */
  lastNote: string | null;
};

/**
 * What ops look at: open payments and payments with undelivered provider events finance has
 * to settle. Orphans first, then NEEDS_ATTENTION, then finance items, then the longest untouched.
 *
 * Read in two steps, so that no temporary table goes to disk (MariaDB's on-disk ones are Aria
 * tables, which crash the server when one fails to open: db/triggers.ts): which payments, in
 * order, from short columns only; then their whole rows (JSON columns included) by primary key.
 */
export async function stuckPayments(
  knex: Knex,
  f: { kind?: string; status?: string; olderThan?: Date; limit: number },
): Promise<PaymentNeedingOps[]> {
  // Keyed by a payment id's width: a key of the 255-character provider_ref would not fit in
  // memory, and a longer ref is no payment's id anyway.
  const finance = knex('webhook_events')
    .select(knex.raw('CAST(provider_ref AS CHAR(40)) AS payment_id'))
    .count({ events: '*' })
    .min({ reason: 'undelivered_reason' })
    .whereNull('signalled_at')
    .whereNull('settled_at')
    .whereNotNull('undelivered_reason')
    .whereRaw('CHAR_LENGTH(provider_ref) <= 40')
    .groupBy('payment_id')
    .as('f');
  const q = knex('payment_records as p')
    .leftJoin(finance, 'f.payment_id', 'p.id')
    .select('p.id', 'f.events as finance_events', 'f.reason as finance_reason');
  if (f.status) q.where('p.status', f.status);
  else q.where((w) => w.whereIn('p.status', OPEN_STATUSES as PaymentStatus[]).orWhereNotNull('f.events'));
  if (f.kind) q.where('p.kind', f.kind);
  if (f.olderThan) q.where('p.updated_at', '<', f.olderThan);
  const picked: Array<{ id: string; finance_events: number | null; finance_reason: string | null }> = await q
    .orderByRaw('p.orphaned_at IS NOT NULL DESC')
    .orderByRaw("p.status = 'NEEDS_ATTENTION' DESC")
    .orderByRaw('f.events IS NOT NULL DESC')
    .orderBy('p.updated_at', 'asc')
    .limit(f.limit);
  if (picked.length === 0) return [];
  const ids = picked.map((p) => p.id);
  const rows = await knex('payment_records as p')
    // The money the payment still holds, through the unique hold reference.
    .leftJoin('holds as h', (j) =>
      j
        .on('h.reference', '=', knex.raw(referenceSql('hold', { kind: 'p.kind', id: 'p.id' })))
        .andOnVal('h.status', 'active'),
    )
    .whereIn('p.id', ids)
    .select('p.*', 'h.amount as held');
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  const lastNotes = await lastTimelineNotes(knex, ids);
  return picked.map(({ id, finance_events: events, finance_reason: reason }) => {
    const r = byId.get(id)!;
    return {
      ...toRecord(r),
      held: r.held === null ? ZERO : fromDecimal(r.held),
      lastNote: lastNotes.get(id) ?? null,
      attention: r.orphan_reason
        ? `orphaned: ${r.orphan_reason}`
        : events
          ? `needs finance (${events} undelivered event${Number(events) > 1 ? 's' : ''}): ${reason}`
          : null,
    };
  });
}

/** Each payment's newest timeline note (the timeline's order is its ids'). */
async function lastTimelineNotes(knex: Knex, paymentIds: string[]): Promise<Map<string, string>> {
  if (paymentIds.length === 0) return new Map();
  const newest = knex('payment_events')
    .whereIn('payment_id', paymentIds)
    .whereNotNull('note')
    .whereNot('note', '')
    .groupBy('payment_id')
    .max({ id: 'id' })
    .as('n');
  const rows = await knex('payment_events as e').join(newest, 'n.id', 'e.id').select('e.payment_id', 'e.note');
  return new Map(rows.map((r) => [r.payment_id as string, r.note as string]));
}

/** Open payments the orphan sweeper compares with Temporal, in id order from `afterId`. */
export async function openPaymentsToSweep(
  knex: Knex,
  f: { createdBefore: Date; afterId: string; limit: number },
): Promise<Array<{ id: string; workflowId: string }>> {
  const rows = await knex('payment_records')
    .select('id', 'workflow_id')
    .whereIn('status', OPEN_STATUSES as PaymentStatus[])
    .whereNull('orphaned_at')
    .where('created_at', '<', f.createdBefore)
    .where('id', '>', f.afterId)
    .orderBy('id')
    .limit(f.limit);
  return rows.map((r) => ({ id: r.id, workflowId: r.workflow_id }));
}

/**
 * The workflow running this payment has stopped while the payment is open: NEEDS_ATTENTION,
 * with why, on the timeline. False when the payment settled or was marked meanwhile.
 */
export async function markOrphaned(knex: Knex, paymentId: string, reason: string): Promise<boolean> {
  return knex.transaction(async (trx) => {
    const row = await trx('payment_records').where({ id: paymentId }).forUpdate().first();
    if (!row || row.orphaned_at || !isOpen(row.status)) return false;
    const note = `${reason}; recheck or resolve starts a recovery run`.slice(0, 1000);
    await trx('payment_records')
      .where({ id: paymentId })
      .update({ status: 'NEEDS_ATTENTION', orphaned_at: new Date(), orphan_reason: reason.slice(0, 500) });
    await trx('payment_events').insert({
      payment_id: paymentId,
      status: 'NEEDS_ATTENTION',
      note,
      actor: 'orphan-sweeper',
    });
    return true;
  });
}

/** A recovery run has taken the payment over: it is no longer an orphan (the run records its own progress). */
export async function clearOrphan(knex: Knex, paymentId: string, by: string): Promise<void> {
  await knex.transaction(async (trx) => {
    const row = await trx('payment_records').where({ id: paymentId }).forUpdate().first();
    if (!row?.orphaned_at) return;
    await trx('payment_records').where({ id: paymentId }).update({ orphaned_at: null, orphan_reason: null });
    await trx('payment_events').insert({
      payment_id: paymentId,
      status: row.status,
      note: 'recovery run started: it asks the provider and settles the payment once',
      actor: by.slice(0, 255),
    });
  });
}
