/** How core rows are shown to clients: no password hashes, amounts as rupee strings. */
import type { SessionUser } from '../db/sessions';
import type { UserView } from './schemas';

export function toUserView(u: SessionUser): UserView {
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
