import { z } from 'zod';
import { writeAudit } from '../../db/audit';
import { getUser } from '../../db/users';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { positiveId, userView } from '../schemas';
import { toUserView } from '../views';
import { clientInfo } from './auth';

export function adminRoutes(deps: AppDeps) {
  const { knex } = deps;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/users/:id',
      summary: 'A user, as admins see it',
      tag: 'admin',
      access: 'admin',
      params: z.object({ id: positiveId }),
      responses: { 200: userView },
      handler: async ({ params, user, ctx }) => {
        const found = toUserView(await getUser(knex, params.id));
        await writeAudit(knex, { actorUserId: user.id, action: 'admin.users.read', targetType: 'user', targetId: params.id, outcome: 'success', ...clientInfo(ctx) });
        return { body: found };
      },
    }),
  ];
}
