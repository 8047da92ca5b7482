/**
 * `npm run demo`: against a running `npm run dev`, drives one payment of every kind through the
 * public API (and the simulators' control APIs where a person would act: paying on PhonePe's
 * page), then prints what happened and checks that the money adds up:
 *   - the retailer's balance moved by exactly the sum of its payments;
 *   - each distributor's balance moved by exactly the commissions it earned;
 *   - the ledger invariants pass.
 * Exit code 0 only if every payment completed and every check passed.
 */
import { currentTotp } from '../api/auth/secondFactor';
import { DEMO_ADMIN_TOTP_SECRET } from '../db/seed/demo';
import { formatRupees, Paise, parseRupees } from '../domain/money';
import { envWithDevStack } from './stack/devEnv';

const env = envWithDevStack();
const API = (env.API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const SIM = (env.SIMULATOR_URL ?? 'http://127.0.0.1:4100').replace(/\/$/, '');
const PASSWORD = 'demo-pass-123';

type Json = any;

async function call(
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; idem?: boolean } = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.idem) headers['idempotency-key'] = `demo-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  } catch (err) {
    throw new Error(`cannot reach ${url} (${(err as Error).message}); is \`npm run dev\` running?`);
  }
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function ok(method: string, url: string, opts: Parameters<typeof call>[2] = {}): Promise<Json> {
  const r = await call(method, url, opts);
  if (r.status >= 300) throw new Error(`${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const login = async (username: string, password = PASSWORD): Promise<string> => {
  const first = await ok('POST', `${API}/v1/auth/login`, { body: { login: username, password } });
  if (!first.twoFactorRequired) return first.accessToken;
  // The demo admin has two-factor on, with the development secret `npm run dev` seeds. A code
  // is accepted once: a second demo within the same 30 seconds waits for the next one.
  for (let attempt = 0; ; attempt++) {
    const code = currentTotp(DEMO_ADMIN_TOTP_SECRET);
    const r = await call('POST', `${API}/v1/auth/login/2fa`, { body: { challengeToken: first.challengeToken, code } });
    if (r.status === 200) return r.body.accessToken;
    if (attempt > 0 || r.body?.error?.code !== 'two_factor_invalid') {
      throw new Error(`admin two-factor login → ${r.status} ${JSON.stringify(r.body)}`);
    }
    const wait = 30_000 - (Date.now() % 30_000) + 500;
    console.log(`(the admin's current code was used a moment ago; waiting ${Math.ceil(wait / 1000)} s for the next)`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
};

// Amounts from the API are rupee strings: parsed and summed as integer paise, never as floats.
const paise = (rupees: string): number => parseRupees(rupees);
const rupees = (p: number) => formatRupees(p as Paise);

async function settle(token: string, paymentId: string, timeoutMs = 60_000): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const p = await ok('GET', `${API}/v1/payments/${paymentId}`, { token });
    if (['COMPLETED', 'FAILED', 'REVERSED', 'NEEDS_ATTENTION'].includes(p.status)) return p;
    if (Date.now() > until) throw new Error(`payment ${paymentId} still ${p.status} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Values for a biller's customer parameter: the candidates its pattern accepts. */
function sampleValues(regex: string): string[] {
  const re = new RegExp(`^(?:${regex})$`);
  const candidates = [
    '1234567890',
    '9876543210',
    '1122334455',
    '5566778899',
    '2468135791',
    '123456789012',
    'MH12AB1234',
  ];
  const hits = candidates.filter((c) => re.test(c));
  if (hits.length === 0) throw new Error(`no demo value fits the biller parameter pattern ${regex}`);
  return hits;
}

interface Step {
  kind: string;
  what: string;
  paymentId: string;
  amount: string;
  status: string;
  ms: number;
}

async function main() {
  console.log(`NexasPay demo against ${API} (simulators at ${SIM})\n`);
  const admin = await login('admin', 'admin-demo-pass');
  const retailer = await login('retailer');
  const customer = await login('customer');
  const dists = {
    local_dist: await login('local_dist'),
    area_dist: await login('area_dist'),
    super_dist: await login('super_dist'),
  };
  const wallet = async (token: string) => paise((await ok('GET', `${API}/v1/wallet`, { token })).balance);
  const earned = async (token: string) => paise((await ok('GET', `${API}/v1/commissions`, { token })).total ?? '0.00');

  const before = {
    retailer: await wallet(retailer),
    customer: await wallet(customer),
    ...Object.fromEntries(
      await Promise.all(Object.entries(dists).map(async ([k, t]) => [k, await wallet(t)] as const)),
    ),
  } as Record<string, number>;
  const earnedBefore = Object.fromEntries(
    await Promise.all(Object.entries(dists).map(async ([k, t]) => [k, await earned(t)] as const)),
  ) as Record<string, number>;
  const steps: Step[] = [];
  const run = async (kind: string, what: string, amount: string, start: () => Promise<string>) => {
    const t0 = Date.now();
    process.stdout.write(`  ${kind.padEnd(9)} ${what} … `);
    const paymentId = await start();
    const p = await settle(retailer, paymentId);
    steps.push({ kind, what, paymentId, amount, status: p.status, ms: Date.now() - t0 });
    console.log(`${p.status} (${Date.now() - t0} ms)`);
  };

  console.log('Payments (as the retailer):');
  await run('topup', 'add ₹2000.00 through PhonePe (the demo pays on the simulator)', '2000.00', async () => {
    const r = await ok('POST', `${API}/v1/payments/topups`, {
      token: retailer,
      body: { amount: '2000.00' },
      idem: true,
    });
    await ok('POST', `${SIM}/phonepe/__sim/orders/${r.paymentId}/complete`, { body: { outcome: 'success' } });
    return r.paymentId;
  });
  const customerCode = (await ok('GET', `${API}/v1/me`, { token: customer })).userCode;
  await run(
    'transfer',
    `send ₹100.00 to the customer (${customerCode})`,
    '-100.00',
    async () =>
      (
        await ok('POST', `${API}/v1/payments/transfers`, {
          token: retailer,
          body: { amount: '100.00', toUserCode: customerCode, remarks: 'demo transfer' },
          idem: true,
        })
      ).paymentId,
  );
  const operators = (await ok('GET', `${API}/v1/recharge/operators`, { token: retailer })).items;
  const jio = operators.find((o: Json) => o.code === 'JIO') ?? operators[0];
  const mobile = '9876500001';
  await ok('POST', `${SIM}/recharge/__sim/scenarios`, { body: { match: mobile, outcome: 'success' } });
  await run(
    'recharge',
    `₹199.00 ${jio.code} recharge of ${mobile} (${jio.circles[0].code})`,
    '-199.00',
    async () =>
      (
        await ok('POST', `${API}/v1/payments/recharges`, {
          token: retailer,
          body: { operator: jio.code, circle: jio.circles[0].code, mobile, amount: '199.00' },
          idem: true,
        })
      ).paymentId,
  );
  const billers = (await ok('GET', `${API}/v1/bills/billers?category=electricity`, { token: retailer })).items;
  const biller = billers.find((b: Json) => b.fetchType === 'FETCH') ?? billers[0];
  // A few consumer numbers; the demo pays the smallest bill among them, so it can run again and again.
  const param = biller.customerParams[0];
  const bills = [];
  for (const value of sampleValues(param.regex).slice(0, 4)) {
    bills.push(
      await ok('POST', `${API}/v1/bills/fetch`, {
        token: retailer,
        body: { billerId: biller.billerId, customerParams: { [param.name]: value } },
      }),
    );
  }
  const bill = bills.sort((a, b) => paise(a.amount) - paise(b.amount))[0];
  await run(
    'bill',
    `pay ${biller.name} bill ${bill.billNumber} of ₹${bill.amount} for ${bill.customerName}`,
    `-${bill.amount}`,
    async () =>
      (
        await ok('POST', `${API}/v1/payments/bills`, {
          token: retailer,
          body: { billerId: biller.billerId, fetchRef: bill.fetchRef, amount: bill.amount },
          idem: true,
        })
      ).paymentId,
  );
  const account = `50100${String(Date.now()).slice(-8)}`;
  await ok('POST', `${SIM}/payout/__sim/scenarios`, { body: { match: account, outcome: 'success' } });
  const ben = await ok('POST', `${API}/v1/beneficiaries`, {
    token: retailer,
    body: {
      beneficiaryName: 'Ravi Kumar',
      accountNumber: account,
      ifscCode: 'HDFC0001234',
      bankName: 'HDFC Bank',
      nickname: 'demo',
    },
  });
  await ok('POST', `${API}/v1/beneficiaries/${ben.id}/verify`, { token: retailer });
  await run(
    'payout',
    `₹250.00 IMPS to ${ben.accountNumber} (penny-drop verified)`,
    '-250.00',
    async () =>
      (
        await ok('POST', `${API}/v1/payments/payouts`, {
          token: retailer,
          body: { amount: '250.00', beneficiaryId: ben.id, mode: 'IMPS' },
          idem: true,
        })
      ).paymentId,
  );

  const after = {
    retailer: await wallet(retailer),
    customer: await wallet(customer),
    ...Object.fromEntries(
      await Promise.all(Object.entries(dists).map(async ([k, t]) => [k, await wallet(t)] as const)),
    ),
  } as Record<string, number>;
  const earnedAfter = Object.fromEntries(
    await Promise.all(Object.entries(dists).map(async ([k, t]) => [k, await earned(t)] as const)),
  ) as Record<string, number>;
  const invariants = await ok('GET', `${API}/v1/admin/ledger/invariants`, { token: admin });

  console.log('\nPayments');
  for (const s of steps)
    console.log(`  ${s.kind.padEnd(9)} ${s.paymentId}  ${s.status.padEnd(10)} ${s.amount.padStart(9)}  ${s.ms} ms`);
  console.log('\nBalances (₹)                 before      after     change');
  for (const who of Object.keys(before)) {
    console.log(
      `  ${who.padEnd(22)} ${rupees(before[who]!).padStart(10)} ${rupees(after[who]!).padStart(10)} ${rupees(after[who]! - before[who]!).padStart(10)}`,
    );
  }
  console.log('\nCommissions earned in this run (₹)');
  for (const who of Object.keys(dists))
    console.log(`  ${who.padEnd(22)} ${rupees(earnedAfter[who]! - earnedBefore[who]!).padStart(10)}`);

  const expectedRetailer = steps.reduce((s, x) => s + paise(x.amount), 0);
  const checks: Array<[string, boolean]> = [
    ['every payment completed', steps.every((s) => s.status === 'COMPLETED')],
    [
      `retailer moved by the sum of its payments (${rupees(expectedRetailer)})`,
      after.retailer! - before.retailer! === expectedRetailer,
    ],
    ['customer received the transfer (100.00)', after.customer! - before.customer! === 10_000],
    ...Object.keys(dists).map((who): [string, boolean] => [
      `${who}'s balance moved by exactly its commissions`,
      after[who]! - before[who]! === earnedAfter[who]! - earnedBefore[who]!,
    ]),
    [
      'distributors earned something on the recharge and the bill',
      Object.keys(dists).some((who) => earnedAfter[who]! > earnedBefore[who]!),
    ],
    [`ledger invariants (${invariants.checks.length} checks)`, invariants.ok === true],
  ];
  console.log('\nChecks');
  for (const [what, pass] of checks) console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${what}`);
  if (!checks.every(([, pass]) => pass)) process.exit(1);
}

main().catch((err) => {
  console.error(`\ndemo failed: ${(err as Error).message}`);
  process.exit(1);
});
