/**
 * `npm run admin:create -- --username NAME --email EMAIL --phone PHONE [--name "Full Name"]`:
 * makes an admin account, against DATABASE_URL or the running dev stack's database. The admin
 * API cannot: an admin who could create admins could approve their own four-eyes proposals
 * through an account of their own. The password comes from NEXASPAY_ADMIN_PASSWORD or is
 * generated and printed once; the new admin must enrol two-factor before any admin route answers.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { registerBody } from '../api/routes/auth';
import { loadConfigOrExit } from '../config';
import { auditedChange } from '../db/audit';
import { createKnex } from '../db/knex';
import { hashPassword } from '../db/passwords';
import { createUser } from '../db/users';
import { envWithDevStack } from './stack/devEnv';

async function main() {
  const { values } = parseArgs({
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      phone: { type: 'string' },
      name: { type: 'string' },
    },
  });
  const generated = !process.env.NEXASPAY_ADMIN_PASSWORD;
  const password = process.env.NEXASPAY_ADMIN_PASSWORD ?? randomBytes(18).toString('base64url');
  const parsed = registerBody.safeParse({
    username: values.username,
    email: values.email,
    phone: values.phone,
    password,
    ...(values.name ? { fullName: values.name } : {}),
  });
  if (!parsed.success) {
    console.error(`nexaspay: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const config = loadConfigOrExit(envWithDevStack());
  const knex = createKnex({ url: config.DATABASE_URL, poolMax: 2 });
  try {
    const b = parsed.data;
    const passwordHash = await hashPassword(b.password);
    const user = await auditedChange(
      knex,
      (trx) =>
        createUser(trx, {
          email: b.email.toLowerCase(),
          username: b.username,
          phone: b.phone,
          passwordHash,
          fullName: b.fullName,
          role: 'admin',
          kycStatus: 'verified',
        }),
      (u) => ({
        actorUserId: null,
        action: 'admin.users.create',
        targetType: 'user',
        targetId: u.id,
        outcome: 'success',
        details: { role: 'admin', via: 'npm run admin:create' },
      }),
    );
    console.log(`admin ${user.username} created (${user.user_code}).`);
    if (generated) console.log(`password (shown once): ${password}`);
    console.log('They must enrol two-factor (POST /v1/me/2fa/setup, then /enable) before any admin route answers.');
  } finally {
    await knex.destroy();
  }
}

main().catch((err) => {
  console.error(`nexaspay: ${(err as Error).message}`);
  process.exit(1);
});
