/** How core rows are shown to clients: no password hashes, amounts as rupee strings. */
import type { UserRow } from '../db/users';
import type { UserView } from './schemas';

/** The columns of a user's row that its view shows (a route showing it reads these). */
export const USER_VIEW_COLUMNS = [
  'id',
  'user_code',
  'email',
  'username',
  'phone',
  'full_name',
  'role',
  'kyc_status',
  'is_active',
  'parent_distributor_id',
  'commission_rate',
  'created_at',
] as const;

export function toUserView(u: Pick<UserRow, (typeof USER_VIEW_COLUMNS)[number]>): UserView {
  return {
    id: u.id,
    userCode: u.user_code,
    email: u.email,
    username: u.username,
    phone: u.phone,
    fullName: u.full_name,
    role: u.role,
    kycStatus: u.kyc_status,
    isActive: Boolean(u.is_active),
    parentDistributorId: u.parent_distributor_id,
    commissionRate: u.commission_rate,
    createdAt: new Date(u.created_at).toISOString(),
  };
}
