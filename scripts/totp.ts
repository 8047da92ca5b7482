/**
 * `npm run totp [SECRET]`: the current TOTP code of a base32 secret (default: the demo admin's,
 * from `npm run dev`), as an authenticator app would show it, and how long it stays current.
 */
import { currentTotp } from '../api/auth/secondFactor';
import { DEMO_ADMIN_TOTP_SECRET } from '../db/seed/demo';

const secret = (process.argv[2] ?? DEMO_ADMIN_TOTP_SECRET).replace(/\s/g, '').toUpperCase();
if (!/^[A-Z2-7]+=*$/.test(secret)) {
  console.error('nexaspay: the secret must be base32 (A-Z, 2-7), as /v1/me/2fa/setup gives it');
  process.exit(2);
}
const secondsLeft = 30 - (Math.floor(Date.now() / 1000) % 30);
console.log(currentTotp(secret));
console.error(`(current for ${secondsLeft} more s; a code is accepted once)`);
