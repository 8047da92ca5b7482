/**
 * The chaos run's clients: payers who make payments of all five kinds through the API the way a
 * careful client app would (an Idempotency-Key per payment; transport errors and 5xx retried
 * with the same key, on either API instance), with each payment's provider outcome scripted on
 * the simulators first. Every answer is kept for the audit.
 */
import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { Dispatcher, Pool } from 'undici';
import { createLedger } from '../../db/ledger';
import { parseRupees } from '../../domain/money';
import { userCodeFor } from '../../domain/users';
import { hashPassword } from '../../db/passwords';

export type Kind = 'topup' | 'transfer' | 'recharge' | 'bill' | 'payout';
export const HELD_SCENARIOS = ['success', 'failure', 'pending_then_success', 'success_then_reversed'] as const;
export type HeldScenario = (typeof HELD_SCENARIOS)[number];
export const TOPUP_SCENARIOS = ['pay', 'fail', 'abandon'] as const;
export type TopUpScenario = (typeof TOPUP_SCENARIOS)[number];

export interface Planned {
  n: number;
  kind: Kind;
  scenario: HeldScenario | TopUpScenario | 'transfer';
}

export interface Answered extends Planned {
  key: string;
  payer: number;
  /** Every payment id the API answered with for this key (one, or the audit fails). */
  paymentIds: string[];
  status?: number;
  errorCode?: string;
  /** The key was never answered without a 5xx, however often it was retried. */
  unanswered?: boolean;
}

export interface ClientStats {
  requests: number;
  retries: number;
  transportErrors: number;
  serverErrors: number;
}

export interface Payer {
  id: number;
  username: string;
  userCode: string;
  token: string;
  beneficiaries: Record<HeldScenario, number>;
}

const PASSWORD = 'chaos-pass-123';
const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A payment's kind and provider outcome, spread evenly over the run. */
export function plan(n: number): Planned[] {
  const kinds: Kind[] = [
    'topup',
    'transfer',
    'recharge',
    'recharge',
    'bill',
    'bill',
    'payout',
    'payout',
    'topup',
    'recharge',
  ];
  return Array.from({ length: n }, (_, i) => {
    const kind = kinds[i % kinds.length]!;
    const round = Math.floor(i / kinds.length);
    const scenario =
      kind === 'topup' ? TOPUP_SCENARIOS[round % 3]! : kind === 'transfer' ? 'transfer' : HELD_SCENARIOS[round % 4]!;
    return { n: i, kind, scenario };
  });
}

export class Clients {
  readonly stats: ClientStats = { requests: 0, retries: 0, transportErrors: 0, serverErrors: 0 };
  private next = 0;
  /**
   * One keep-alive pool per API, through undici's request API rather than `fetch` (undici too):
   * at the bench's 50 transfers a second, `fetch` cost this process about 1.1 to 1.5 ms of CPU a
   * request against 0.4 to 0.5 ms, CPU the measured stack shares (docs/performance.md). Each
   * API's URL is parsed once, when the clients are made, not on every request.
   */
  private readonly apis: Array<{ pool: Pool; pathPrefix: string }>;
  private payers: Payer[] = [];
  private operator!: { code: string; circle: string };
  private biller!: { billerId: string; param: string };

  constructor(
    apiUrls: string[],
    private readonly simUrl: string,
    private readonly maxAttempts = 80,
  ) {
    this.apis = apiUrls.map((url) => {
      const api = new URL(url);
      return { pool: new Pool(api.origin), pathPrefix: api.pathname.replace(/\/$/, '') };
    });
  }

  /**
   * Seeds payers (KYC-verified retailers under a distributor chain, funded) straight into the
   * database, their usernames starting with `prefix` (a run against a long-lived stack picks its own).
   */
  async seed(knex: Knex, count: number, prefix = 'chaos'): Promise<void> {
    const hash = await hashPassword(PASSWORD);
    const ledger = createLedger(knex);
    const insert = async (username: string, role: string, parent: number | null, rate: string) => {
      const [id] = (await knex('users').insert({
        email: `${username}@chaos.nexaspay.in`,
        username,
        phone: `8${digits(9)}`,
        password: hash,
        full_name: username,
        role,
        kyc_status: 'verified',
        commission_rate: rate,
        parent_distributor_id: parent,
        daily_limit: '10000000.00',
        monthly_limit: '100000000.00',
      })) as [number];
      await knex('users')
        .where({ id })
        .update({ user_code: userCodeFor(id) });
      return id;
    };
    const top = await insert(`${prefix}_super`, 'distributor', null, '0.0025');
    const mid = await insert(`${prefix}_area`, 'distributor', top, '0.0050');
    const low = await insert(`${prefix}_local`, 'distributor', mid, '0.0100');
    for (let i = 0; i < count; i++) {
      const id = await insert(`${prefix}_payer_${i}`, 'retailer', low, '0.0000');
      await ledger.post({
        reference: `${prefix}:opening:${id}`,
        ledgerType: 'TopIn',
        lines: [
          { account: { system: 'PLATFORM_EQUITY' }, debit: parseRupees('100000.00') },
          { account: { user: id }, credit: parseRupees('100000.00') },
        ],
      });
      this.payers.push({
        id,
        username: `${prefix}_payer_${i}`,
        userCode: userCodeFor(id),
        token: '',
        beneficiaries: {} as Payer['beneficiaries'],
      });
    }
  }

  /** Logs every payer in, gives each a verified beneficiary per payout scenario, reads the catalogues. */
  async prepare(): Promise<void> {
    for (const p of this.payers) {
      await this.login(p);
      for (const scenario of HELD_SCENARIOS) {
        const accountNumber = `5010${digits(10)}`;
        const b = await this.call('POST', '/v1/beneficiaries', {
          token: p.token,
          body: { beneficiaryName: `Chaos ${scenario}`, accountNumber, ifscCode: 'HDFC0001234', bankName: 'HDFC Bank' },
        });
        await this.call('POST', `/v1/beneficiaries/${b.body.id}/verify`, { token: p.token });
        await this.sim('payout', 'scenarios', { match: accountNumber, ...scenarioBody(scenario) });
        p.beneficiaries[scenario] = b.body.id;
      }
    }
    const token = this.payers[0]!.token;
    const ops = await this.call('GET', '/v1/recharge/operators', { token });
    const jio = ops.body.items.find((o: { code: string }) => o.code === 'JIO');
    this.operator = { code: 'JIO', circle: jio.circles[0].code };
    const billers = await this.call('GET', '/v1/bills/billers', { token });
    const b = billers.body.items.find(
      (x: { exactness: string; fetchType: string; customerParams: Array<{ regex: string }> }) =>
        x.exactness === 'ANY' &&
        x.fetchType === 'FETCH' &&
        new RegExp(`^(?:${x.customerParams[0]!.regex})$`).test('1234567890'),
    );
    this.biller = { billerId: b.billerId, param: b.customerParams[0].name };
  }

  /** Logs every payer in again (access tokens expire during long runs). */
  async logInAgain(): Promise<void> {
    for (const p of this.payers) await this.login(p);
  }

  /** The seeded payers and the catalogue entries prepare() chose, for callers that time their own requests. */
  get seeded(): {
    payers: readonly Payer[];
    operator: { code: string; circle: string };
    biller: { billerId: string; param: string };
  } {
    return { payers: this.payers, operator: this.operator, biller: this.biller };
  }

  /** A POST as the payer; access tokens last an hour, so a long run logs the payer in again and retries. */
  private async asPayer(
    p: Payer,
    path: string,
    o: { key?: string; body: object },
  ): Promise<{ status: number; body: any }> {
    const res = await this.call('POST', path, { ...o, token: p.token });
    if (res.status !== 401) return res;
    await this.login(p);
    return this.call('POST', path, { ...o, token: p.token });
  }

  private async login(p: Payer): Promise<void> {
    const res = await this.call('POST', '/v1/auth/login', { body: { login: p.username, password: PASSWORD } });
    p.token = res.body.accessToken;
  }

  /** Makes one payment the way a client app would; never throws (the answer says what happened). */
  async pay(p: Planned): Promise<Answered> {
    const payer = this.payers[p.n % this.payers.length]!;
    const key = `chaos-${p.n}-${digits(6)}`;
    const answered: Answered = { ...p, key, payer: payer.id, paymentIds: [] };
    const amount = `${10 + (p.n % 40)}.00`;
    const post = async (path: string, body: object) => {
      const res = await this.asPayer(payer, path, { key, body });
      answered.status = res.status;
      if (res.body?.paymentId) answered.paymentIds.push(res.body.paymentId);
      if (res.body?.error?.details?.paymentId) answered.paymentIds.push(res.body.error.details.paymentId);
      answered.errorCode = res.body?.error?.code;
      return res;
    };
    try {
      switch (p.kind) {
        case 'topup': {
          const res = await post('/v1/payments/topups', { amount });
          if (res.status !== 201) break;
          if (p.scenario === 'abandon') {
            // The customer walks away; PhonePe expires the order (its shortest expiry is 5 minutes: hurried here).
            const id = res.body.paymentId as string;
            for (const order of [id, `${id}-2`, `${id}-3`])
              await fetch(`${this.simUrl}/phonepe/__sim/orders/${order}/expire`, { method: 'POST' });
          } else {
            const orderId = String(res.body.redirectUrl).split('/').pop();
            await fetch(`${this.simUrl}/phonepe/checkout/${orderId}/${p.scenario === 'pay' ? 'pay' : 'fail'}`, {
              method: 'POST',
              redirect: 'manual',
            });
          }
          break;
        }
        case 'transfer': {
          const to = this.payers[(p.n + 1) % this.payers.length]!;
          await post('/v1/payments/transfers', { amount, toUserCode: to.userCode });
          break;
        }
        case 'recharge': {
          const mobile = `9${digits(9)}`;
          await this.sim('recharge', 'scenarios', { match: mobile, ...scenarioBody(p.scenario as HeldScenario) });
          await post('/v1/payments/recharges', {
            operator: this.operator.code,
            circle: this.operator.circle,
            mobile,
            amount,
          });
          break;
        }
        case 'bill': {
          const value = `${digits(9)}1`;
          await this.sim('bbps', 'scenarios', { match: value, ...scenarioBody(p.scenario as HeldScenario) });
          const fetched = await this.asPayer(payer, '/v1/bills/fetch', {
            body: { billerId: this.biller.billerId, customerParams: { [this.biller.param]: value } },
          });
          await post('/v1/payments/bills', { billerId: this.biller.billerId, fetchRef: fetched.body.fetchRef, amount });
          break;
        }
        case 'payout':
          await post('/v1/payments/payouts', {
            amount,
            beneficiaryId: payer.beneficiaries[p.scenario as HeldScenario],
          });
          break;
      }
    } catch {
      answered.unanswered = true;
    }
    return answered;
  }

  /**
   * One request, as a careful client sends it: a transport error, a 5xx or a 429 is retried
   * with the same Idempotency-Key and body, on the other API instance, backing off up to 5 s.
   */
  async call(
    method: string,
    path: string,
    o: { token?: string; key?: string; body?: object } = {},
  ): Promise<{ status: number; body: any }> {
    for (let attempt = 1; ; attempt++) {
      const api = this.apis[this.next++ % this.apis.length]!;
      this.stats.requests++;
      try {
        const res = await api.pool.request({
          path: `${api.pathPrefix}${path}`,
          method: method as Dispatcher.HttpMethod,
          headers: {
            ...(o.body ? { 'content-type': 'application/json' } : {}),
            ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
            ...(o.key ? { 'idempotency-key': o.key } : {}),
          },
          body: o.body ? JSON.stringify(o.body) : undefined,
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        const text = await res.body.text();
        if (res.statusCode < 500 && res.statusCode !== 429)
          return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
        this.stats.serverErrors++;
      } catch {
        this.stats.transportErrors++;
      }
      if (attempt >= this.maxAttempts) throw new Error(`${method} ${path}: no answer after ${attempt} attempts`);
      this.stats.retries++;
      await sleep(Math.min(5_000, 200 * 2 ** Math.min(attempt, 5)));
    }
  }

  /** Closes the connections to the APIs (idle ones do not keep the process alive either). */
  async close(): Promise<void> {
    await Promise.all(this.apis.map((api) => api.pool.close()));
  }

  async sim(provider: string, what: string, body: object): Promise<void> {
    const res = await fetch(`${this.simUrl}/${provider}/__sim/${what}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`simulator ${provider} ${what}: ${res.status} ${await res.text()}`);
  }
}

/** How long after its success the provider reverses a `success_then_reversed` payment. */
export const REVERSE_AFTER_MS = 1500;

function scenarioBody(s: HeldScenario): object {
  switch (s) {
    case 'pending_then_success':
      return { outcome: s, pendingMs: 1500, webhook: 'drop' };
    case 'success_then_reversed':
      return { outcome: s, reverseAfterMs: REVERSE_AFTER_MS };
    default:
      return { outcome: s };
  }
}
