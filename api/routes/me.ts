import { z } from 'zod';
import { LIMIT_COLUMNS, limitsOf } from '../../db/ledger/limits';
import { fromDecimal } from '../../db/money';
import { Readable } from 'node:stream';
import { statementLines, statementPage } from '../../db/statements';
import { auditedChange } from '../../db/audit';
import { kycKeysOf, submitKyc } from '../../db/userAdmin';
import { clientInfo } from './auth';
import { TRANSACTION_TYPES } from '../../domain/ledger';
import { subtract } from '../../domain/money';
import type { AppDeps } from '../deps';
import { csvLine } from '../http/csv';
import { defineRoute } from '../http/route';
import { isoDate, money, rupees, userView } from '../schemas';
import { toUserView, USER_VIEW_COLUMNS } from '../views';

const ledgerQuery = z.strictObject({
  from: isoDate.optional(),
  to: isoDate.optional(),
  type: z.enum(TRANSACTION_TYPES).optional(),
  status: z.enum(['pending', 'completed', 'failed', 'cancelled', 'refunded']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

const statementLine = z.object({
  id: z.number(),
  referenceNumber: z.string().nullable(),
  ledgerDate: z.string().nullable(),
  type: z.string(),
  ledgerType: z.string().nullable(),
  status: z.string(),
  remarks: z.string().nullable(),
  amount: money,
  debit: money,
  credit: money,
  openingBalance: money.nullable(),
  closingBalance: money.nullable(),
  createdAt: z.string(),
});

export function meRoutes(deps: AppDeps) {
  const { knex } = deps;
  const kycKeys = kycKeysOf(deps.config);
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      summary: 'My profile',
      tag: 'me',
      access: 'user',
      account: USER_VIEW_COLUMNS,
      responses: { 200: userView },
      handler: async ({ user }) => ({ body: toUserView(user.account) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/wallet',
      summary: 'My balance, held and available amounts, limits and what I used of them',
      tag: 'wallet',
      access: 'user',
      account: ['wallet_balance', 'held_balance', ...LIMIT_COLUMNS],
      responses: {
        200: z.object({
          userCode: z.string(),
          balance: money,
          held: money,
          available: money,
          currency: z.literal('INR'),
          dailyLimit: money,
          monthlyLimit: money,
          usedToday: money,
          usedThisMonth: money,
        }),
      },
      handler: async ({ user }) => {
        const u = user.account;
        const balance = fromDecimal(u.wallet_balance);
        const held = fromDecimal(u.held_balance);
        // The session's read of the row carries the limits and their counters: no second query.
        const limits = limitsOf(u, new Date());
        return {
          body: {
            userCode: u.user_code,
            balance: rupees(balance),
            held: rupees(held),
            available: rupees(subtract(balance, held)),
            currency: 'INR' as const,
            dailyLimit: rupees(limits.dailyLimit),
            monthlyLimit: rupees(limits.monthlyLimit),
            usedToday: rupees(limits.usedToday),
            usedThisMonth: rupees(limits.usedThisMonth),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/wallet/ledger',
      summary: 'My statement, newest first (keyset pagination: pass nextCursor as cursor)',
      tag: 'wallet',
      access: 'user',
      query: ledgerQuery,
      responses: { 200: z.object({ items: z.array(statementLine), nextCursor: z.string().nullable() }) },
      handler: async ({ user, query }) => ({ body: await statementPage(knex, user.id, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/wallet/ledger.csv',
      summary: 'My statement as CSV (streamed), newest first',
      tag: 'wallet',
      access: 'user',
      query: z.strictObject({ from: isoDate.optional(), to: isoDate.optional() }),
      responses: { 200: null },
      produces: 'text/csv',
      handler: async ({ user, query, ctx }) => {
        ctx.status = 200;
        ctx.type = 'text/csv; charset=utf-8';
        ctx.set('Content-Disposition', `attachment; filename="statement-${user.userCode}.csv"`);
        ctx.body = Readable.from(csvLines(statementLines(knex, user.id, query)));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/kyc',
      summary: 'Submit KYC details; the status stays pending until an admin decides',
      tag: 'me',
      access: 'user',
      body: z.strictObject({
        pan: z.string().regex(/^[A-Z]{5}[0-9]{4}[A-Z]$/, 'a PAN such as ABCDE1234F'),
        aadhaarLast4: z
          .string()
          .regex(/^\d{4}$/, 'the last four digits of the Aadhaar number')
          .optional(),
        address: z.string().trim().min(5).max(500).optional(),
        dateOfBirth: z.iso.date().optional(),
      }),
      responses: { 202: z.object({ kycStatus: z.literal('pending'), submissionId: z.number() }) },
      handler: async ({ body, user, ctx }) => {
        const { submissionId } = await auditedChange(
          knex,
          (trx) => submitKyc(trx, kycKeys, user.id, body),
          (submitted) => ({
            actorUserId: user.id,
            action: 'kyc.submit',
            targetType: 'user',
            targetId: user.id,
            outcome: 'success',
            details: submitted,
            ...clientInfo(ctx),
          }),
        );
        return { status: 202, body: { kycStatus: 'pending' as const, submissionId } };
      },
    }),
  ];
}

const CSV_COLUMNS = [
  'createdAt',
  'referenceNumber',
  'ledgerDate',
  'type',
  'ledgerType',
  'status',
  'remarks',
  'debit',
  'credit',
  'openingBalance',
  'closingBalance',
] as const;

async function* csvLines(rows: AsyncIterable<Record<string, unknown>>) {
  yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const r of rows) yield csvLine(CSV_COLUMNS, r);
}
