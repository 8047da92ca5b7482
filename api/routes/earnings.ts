/** What distributors see of their network: the commissions they earned and the users below them. */
import { z } from 'zod';
import { commissionsEarned } from '../../db/commissions';
import { downlineOf } from '../../db/userAdmin';
import { formatRupees, sum } from '../../domain/money';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { isoDate, money } from '../schemas';

export function earningsRoutes(deps: AppDeps) {
  const { knex } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/commissions',
      summary: 'Commissions I earned, newest first, with totals by level (clawed-back ones are listed but not counted)',
      tag: 'wallet',
      access: 'user',
      query: z.strictObject({ from: isoDate.optional(), to: isoDate.optional() }),
      responses: {
        200: z.object({
          items: z.array(
            z.object({
              id: z.number(),
              level: z.number(),
              rate: z.string(),
              amount: money,
              fromUserCode: z.string(),
              paymentId: z.string().nullable(),
              kind: z.string().nullable(),
              clawedBack: z.boolean(),
              calculatedAt: z.string(),
            }),
          ),
          byLevel: z.array(z.object({ level: z.number(), amount: money })),
          total: money,
        }),
      },
      handler: async ({ user, query }) => {
        const r = await commissionsEarned(knex, user.id, query);
        return {
          body: {
            items: r.items.map((i) => ({
              ...i,
              amount: formatRupees(i.amount),
              calculatedAt: i.calculatedAt.toISOString(),
            })),
            byLevel: r.byLevel.map((l) => ({ level: l.level, amount: formatRupees(l.amount) })),
            total: formatRupees(r.total),
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/downline',
      summary: 'Users below me, up to three levels, with their balances and totals (empty for customers)',
      tag: 'me',
      access: 'user',
      responses: {
        200: z.object({
          items: z.array(
            z.object({
              level: z.number(),
              userCode: z.string(),
              fullName: z.string().nullable(),
              role: z.string(),
              kycStatus: z.string(),
              isActive: z.boolean(),
              parentUserCode: z.string().nullable(),
              balance: money,
            }),
          ),
          totals: z.object({
            members: z.number(),
            byLevel: z.array(z.object({ level: z.number(), members: z.number(), balance: money })),
            balance: money,
          }),
        }),
      },
      handler: async ({ user }) => {
        const members = await downlineOf(knex, user.id);
        const levels = [...new Set(members.map((m) => m.level))].sort();
        const total = (xs: typeof members) => formatRupees(sum(xs.map((m) => m.balance)));
        return {
          body: {
            items: members.map(({ id: _id, balance, ...m }) => ({ ...m, balance: formatRupees(balance) })),
            totals: {
              members: members.length,
              byLevel: levels.map((level) => {
                const at = members.filter((m) => m.level === level);
                return { level, members: at.length, balance: total(at) };
              }),
              balance: total(members),
            },
          },
        };
      },
    }),
  ];
}
