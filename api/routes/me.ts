import { z } from 'zod';
import { fromDecimal } from '../../db/money';
import { statementPage } from '../../db/statements';
import { getUser } from '../../db/users';
import { TRANSACTION_TYPES } from '../../domain/ledger';
import { subtract } from '../../domain/money';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { isoDate, money, rupees, userView } from '../schemas';
import { toUserView } from '../views';

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
  const { knex, ledger } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      summary: 'My profile',
      tag: 'me',
      access: 'user',
      responses: { 200: userView },
      handler: async ({ user }) => ({ body: toUserView(await getUser(knex, user.id)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/wallet',
      summary: 'My balance, held and available amounts, limits and what I used of them',
      tag: 'wallet',
      access: 'user',
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
        const u = await getUser(knex, user.id);
        const balance = fromDecimal(u.wallet_balance);
        const held = fromDecimal(u.held_balance);
        const usage = await ledger.usage(user.id);
        return {
          body: {
            userCode: u.user_code,
            balance: rupees(balance),
            held: rupees(held),
            available: rupees(subtract(balance, held)),
            currency: 'INR' as const,
            dailyLimit: rupees(fromDecimal(u.daily_limit)),
            monthlyLimit: rupees(fromDecimal(u.monthly_limit)),
            usedToday: rupees(usage.today),
            usedThisMonth: rupees(usage.month),
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
  ];
}
