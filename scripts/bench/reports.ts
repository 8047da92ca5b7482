/**
 * Reports at scale: a history of N payments over 90 days written through the ledger
 * (db/seed/history.ts), the rollups folded, then each report answered through the API, one
 * client at a time, by an admin signed in with two-factor and by distributors of the history.
 */
import type { Knex } from 'knex';
import { TOTP } from 'otpauth';
import { loadConfig } from '../../config';
import { hashPassword } from '../../db/passwords';
import { foldReportDeltas } from '../../db/reports/fold';
import { relaxedDurability, seedHistory } from '../../db/seed/history';
import { enrolWithSecret, twoFactorKeysOf } from '../../db/twoFactor';
import { addDays, istDate } from '../../domain/calendar';
import { userCodeFor } from '../../domain/users';
import { step, timed } from '../stack/log';
import { closedLoop } from './load';
import type { Row } from './report';

const PASSWORD = 'bench-reports-password';
/** A fixed development secret: the bench's stack runs with development keys. */
const ADMIN_TOTP_SECRET = 'JBSWY3DPEHPK3PXPBENCHREPORTS';

async function post(api: string, path: string, body: object): Promise<Record<string, any>> {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** An admin with two-factor on, signed in with a code: what admin routes require. */
async function adminToken(knex: Knex, api: string, databaseUrl: string, prefix: string): Promise<string> {
  const username = `${prefix}admin`;
  const [id] = (await knex('users').insert({
    email: `${username}@bench.example`,
    username,
    phone: `4${String(Date.now() % 1e9).padStart(9, '0')}`,
    password: await hashPassword(PASSWORD),
    role: 'admin',
    kyc_status: 'verified',
  })) as [number];
  await knex('users')
    .where({ id })
    .update({ user_code: userCodeFor(id) });
  const keys = twoFactorKeysOf(loadConfig({ NODE_ENV: 'development', DATABASE_URL: databaseUrl }));
  await enrolWithSecret(knex, keys, id, ADMIN_TOTP_SECRET);
  const challenge = await post(api, '/v1/auth/login', { login: username, password: PASSWORD });
  const code = new TOTP({ secret: ADMIN_TOTP_SECRET }).generate();
  return (await post(api, '/v1/auth/login/2fa', { challengeToken: challenge.challengeToken, code })).accessToken;
}

/** A user of the history signs in (their password set here: the history's users have none to know). */
async function tokenOf(knex: Knex, api: string, userId: number): Promise<string> {
  await knex('users')
    .where({ id: userId })
    .update({ password: await hashPassword(PASSWORD) });
  const { username } = await knex('users').where({ id: userId }).first('username');
  return (await post(api, '/v1/auth/login', { login: username, password: PASSWORD })).accessToken;
}

export async function reportsAtScale(o: {
  knex: Knex;
  api: string;
  databaseUrl: string;
  payments: number;
  iterations: number;
}): Promise<Row[]> {
  const { knex, api } = o;
  const prefix = `r${Date.now().toString(36)}`;
  let reported = 0;
  const restoreDurability = await relaxedDurability(knex);
  const history = await timed(
    `writing a history of ${o.payments.toLocaleString('en')} payments over 90 days through the ledger`,
    () =>
      seedHistory(knex, {
        payments: o.payments,
        days: 90,
        prefix,
        onProgress: (done) => {
          if (done - reported >= Math.max(10_000, o.payments / 10)) {
            reported = done;
            step(`${done.toLocaleString('en')} payments written`);
          }
        },
      }),
  ).finally(restoreDurability);
  await timed('folding the report rollups', () => foldReportDeltas(knex));

  const admin = await adminToken(knex, api, o.databaseUrl, prefix);
  const local = history.locals[0]!;
  const top = history.supers[0]!;
  const [localToken, topToken] = [await tokenOf(knex, api, local), await tokenOf(knex, api, top)];
  const [[below]] = await knex.raw(
    `SELECT (SELECT COUNT(*) FROM users WHERE parent_distributor_id = ?) AS local_members`,
    [local],
  );
  const to = istDate(new Date());
  const window = `from=${addDays(to, -89)}&to=${to}`;
  const timedGet = (path: string, token: string) =>
    closedLoop({ clients: 1, iterations: o.iterations, warmup: 2 }, async () => {
      const res = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    });

  const n = o.payments.toLocaleString('en');
  return [
    {
      what: `admin summary, 90 days by day, ${n} payments (1)`,
      figure: await timed('GET /v1/admin/reports/summary, 90 days', () =>
        timedGet(`/v1/admin/reports/summary?${window}&granularity=day`, admin),
      ),
      target: { p99: 200 },
    },
    {
      what: `provider health, 90 days (1)`,
      figure: await timed('GET /v1/admin/reports/providers, 90 days', () =>
        timedGet(`/v1/admin/reports/providers?${window}`, admin),
      ),
      target: { p99: 200 },
    },
    {
      what: `network of a distributor (${Number(below.local_members)} retailers), 90 days (1)`,
      figure: await timed("GET /v1/reports/network, a distributor's", () =>
        timedGet(`/v1/reports/network?${window}&granularity=week`, localToken),
      ),
      target: { p99: 100 },
    },
    {
      what: `network of a chain's top (${Math.ceil(history.retailers.length / history.supers.length)} retailers below), 90 days (1)`,
      figure: await timed("GET /v1/reports/network, the top of a chain's", () =>
        timedGet(`/v1/reports/network?${window}&granularity=week`, topToken),
      ),
    },
  ];
}
