/**
 * User administration for admins: list and search, create distributors and admins, change
 * limits, commission rate, activation and parent, decide KYC. Every action, refused or done, is
 * written to audit_logs with the actor, the target, IP, user agent, request id and, for changes,
 * the fields before and after.
 */
import type { Knex } from 'knex';
import type { Context } from 'koa';
import { z } from 'zod';
import { writeAudit } from '../../db/audit';
import { decideKyc, listUsers, updateUserByAdmin } from '../../db/userAdmin';
import { createUser, getUser } from '../../db/users';
import { formatRate, parseRate } from '../../domain/commissions';
import { DomainError, ValidationError } from '../../domain/errors';
import type { AuthUser } from '../auth/guards';
import { hashPassword } from '../../db/passwords';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { amountBetween, MIN_AMOUNT, positiveId, userView } from '../schemas';
import { toUserView } from '../views';
import { clientInfo, registerBody } from './auth';

const rate = z
  .string()
  .regex(/^(0(\.\d{1,4})?|1(\.0{1,4})?)$/, 'a decimal between 0 and 1 with at most 4 places, e.g. "0.0125"')
  .transform((r) => formatRate(parseRate(r)));

export function adminUserRoutes(deps: AppDeps) {
  const { knex } = deps;

  /**
   * Runs an admin action and its audit row in one transaction: the change is never made without
   * its record, nor recorded without being made. A refused or failed action is audited after
   * the rollback.
   */
  async function audited<T>(
    ctx: Context,
    actor: AuthUser,
    action: string,
    targetId: number | undefined,
    run: (trx: Knex) => Promise<{ result: T; details?: unknown }>,
  ): Promise<T> {
    try {
      return await knex.transaction(async (trx) => {
        const { result, details } = await run(trx);
        await writeAudit(trx, {
          actorUserId: actor.id,
          action,
          targetType: 'user',
          ...(targetId !== undefined ? { targetId } : {}),
          outcome: 'success',
          details,
          ...clientInfo(ctx),
        });
        return result;
      });
    } catch (err) {
      const details =
        err instanceof DomainError ? { code: err.code, message: err.message } : { message: 'internal error' };
      await writeAudit(knex, {
        actorUserId: actor.id,
        action,
        targetType: 'user',
        ...(targetId !== undefined ? { targetId } : {}),
        outcome: 'failure',
        details,
        ...clientInfo(ctx),
      });
      throw err;
    }
  }

  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/users',
      summary: 'Find users by role, KYC status or text (user code, email, username, phone, name)',
      tag: 'admin',
      access: 'admin',
      query: z.strictObject({
        role: z.enum(['customer', 'retailer', 'distributor', 'admin']).optional(),
        kycStatus: z.enum(['pending', 'verified', 'rejected']).optional(),
        q: z.string().trim().min(1).max(100).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        cursor: z.string().max(200).optional(),
      }),
      responses: { 200: z.object({ items: z.array(userView), nextCursor: z.string().nullable() }) },
      handler: async ({ query, user, ctx }) => {
        const page = await listUsers(knex, query);
        // Who looked up whom: the search and how many users it showed.
        await writeAudit(knex, {
          actorUserId: user.id,
          action: 'admin.users.list',
          targetType: 'user',
          outcome: 'success',
          details: { query, shown: page.items.length },
          ...clientInfo(ctx),
        });
        return { body: { items: page.items.map(toUserView), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/users',
      summary:
        'Create a customer, retailer or distributor (distributors cannot register themselves). Admins are not created here: an admin could make a second account to approve their own four-eyes proposals; `npm run admin:create` makes them',
      tag: 'admin',
      access: 'admin',
      body: registerBody.extend({
        role: z.enum(['customer', 'retailer', 'distributor']),
        commissionRate: rate.optional(),
        kycStatus: z.enum(['pending', 'verified']).optional(),
      }),
      responses: { 201: userView },
      handler: async ({ body, user, ctx }) => {
        const passwordHash = await hashPassword(body.password);
        const created = await audited(ctx, user, 'admin.users.create', undefined, async (trx) => {
          const u = await createUser(trx, {
            email: body.email.toLowerCase(),
            username: body.username,
            phone: body.phone,
            passwordHash,
            fullName: body.fullName,
            role: body.role,
            parentUserCode: body.parentUserCode,
            commissionRate: body.commissionRate ?? '0.0000',
            kycStatus: body.kycStatus ?? 'pending',
          });
          return {
            result: await getUser(trx, u.id),
            details: {
              createdUserId: u.id,
              role: body.role,
              parentUserCode: body.parentUserCode ?? null,
              commissionRate: body.commissionRate ?? '0.0000',
            },
          };
        });
        return { status: 201, body: toUserView(created) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/admin/users/:id',
      summary: "Change a user's limits, commission rate, activation or parent distributor",
      tag: 'admin',
      access: 'admin',
      params: z.object({ id: positiveId }),
      body: z
        .strictObject({
          dailyLimit: amountBetween(MIN_AMOUNT).optional(),
          monthlyLimit: amountBetween(MIN_AMOUNT).optional(),
          commissionRate: rate.optional(),
          isActive: z.boolean().optional(),
          parentUserCode: z.string().min(1).max(50).nullable().optional(),
        })
        .refine((b) => Object.keys(b).length > 0, 'nothing to change'),
      responses: { 200: userView },
      handler: async ({ params, body, user, ctx }) => {
        if (params.id === user.id && body.isActive === false)
          throw new ValidationError('an admin cannot deactivate their own account', [
            { path: 'isActive', field: 'isActive', message: 'not on yourself' },
          ]);
        await audited(ctx, user, 'admin.users.update', params.id, async (trx) => {
          const change = await updateUserByAdmin(trx, params.id, body);
          return { result: undefined, details: { requested: body, ...change } };
        });
        return { body: toUserView(await getUser(knex, params.id)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/admin/users/:id/kyc',
      summary: "Decide a user's KYC: verified, or rejected with a reason",
      tag: 'admin',
      access: 'admin',
      params: z.object({ id: positiveId }),
      body: z
        .strictObject({
          status: z.enum(['verified', 'rejected']),
          reason: z.string().trim().min(3).max(500).optional(),
        })
        .refine((b) => b.status !== 'rejected' || b.reason, {
          message: 'a rejection needs a reason',
          path: ['reason'],
        }),
      responses: { 200: userView },
      handler: async ({ params, body, user, ctx }) => {
        await audited(ctx, user, 'admin.users.kyc', params.id, async (trx) => {
          const decision = await decideKyc(trx, {
            userId: params.id,
            status: body.status,
            ...(body.reason ? { reason: body.reason } : {}),
            adminId: user.id,
          });
          return { result: undefined, details: { ...decision, reason: body.reason ?? null } };
        });
        return { body: toUserView(await getUser(knex, params.id)) };
      },
    }),
  ];
}
