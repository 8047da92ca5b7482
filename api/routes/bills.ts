/**
 * BBPS bill payments: the biller catalogue, fetching a bill (the provider answers
 * asynchronously; the API waits a few seconds for it, then hands the client a reference to
 * poll), and paying a fetched bill, checked against the biller's exactness rule.
 */
import { z } from 'zod';
import {
  claimBillForPayment,
  ownBillFetch,
  recordBillFetch,
  StoredBillFetch,
  updateBillFetch,
} from '../../db/billFetches';
import { billAmountRefusal } from '../../domain/bills';
import { BusinessRuleError, NotFoundError, ValidationError } from '../../domain/errors';
import { formatRupees } from '../../domain/money';
import { PAYMENT_STATUSES } from '../../domain/payments';
import type { Biller, BillFetch } from '../../providers/contracts';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import {
  Catalogues,
  commissionMargins,
  gatewayOf,
  heldPaymentTiming,
  startHeldPaymentRequest,
} from '../providerPayments';
import { amountBetween, MIN_AMOUNT, money } from '../schemas';
import { idempotencyHeader } from './payments';

const EXACTNESS = ['EXACT', 'EXACT_AND_ABOVE', 'EXACT_AND_BELOW', 'ANY'] as const;
/** How long POST /v1/bills/fetch waits for BBPS before answering 202 with the reference. */
const FETCH_WAIT_MS = 8_000;

const billerView = z.object({
  billerId: z.string(),
  name: z.string(),
  category: z.string(),
  customerParams: z.array(z.object({ name: z.string(), regex: z.string(), optional: z.boolean() })),
  fetchType: z.enum(['FETCH', 'VALIDATE', 'DIRECT']),
  exactness: z.enum(EXACTNESS),
  supportsPending: z.boolean(),
});

const fetchedBill = z.object({
  fetchRef: z.string(),
  status: z.enum(['PROCESSING', 'SUCCESS', 'FAILURE']),
  billerId: z.string(),
  customerName: z.string().nullable(),
  amount: money.nullable(),
  dueDate: z.string().nullable(),
  billNumber: z.string().nullable(),
  billPeriod: z.string().nullable(),
  exactness: z.enum(EXACTNESS),
  failureReason: z.string().nullable(),
});

function fetchView(f: StoredBillFetch, biller: Biller) {
  return {
    fetchRef: f.refId,
    status: f.status,
    billerId: f.billerId,
    customerName: f.bill?.customerName ?? null,
    amount: f.bill ? formatRupees(f.bill.amount) : null,
    dueDate: f.bill?.dueDate ?? null,
    billNumber: f.bill?.billNumber ?? null,
    billPeriod: f.bill?.billPeriod ?? null,
    exactness: biller.exactness,
    failureReason: f.failureReason,
  };
}

/** Every required parameter present, nothing unknown, each matching the biller's pattern. */
function checkCustomerParams(biller: Biller, params: Record<string, string>): void {
  const issues: Array<{ path: string; field: string; message: string }> = [];
  for (const p of biller.customerParams) {
    const v = params[p.name];
    if (v === undefined || v === '') {
      if (!p.optional)
        issues.push({ path: `customerParams.${p.name}`, field: p.name, message: 'required by this biller' });
      continue;
    }
    let pattern: RegExp | undefined;
    try {
      pattern = new RegExp(`^(?:${p.regex})$`);
    } catch {
      pattern = undefined; // a biller's broken pattern is the provider's problem; BBPS validates again
    }
    if (pattern && !pattern.test(v))
      issues.push({ path: `customerParams.${p.name}`, field: p.name, message: `does not match ${p.regex}` });
  }
  for (const name of Object.keys(params)) {
    if (!biller.customerParams.some((p) => p.name === name))
      issues.push({ path: `customerParams.${name}`, field: name, message: 'not a parameter of this biller' });
  }
  if (issues.length) throw new ValidationError(`customer parameters do not fit biller ${biller.billerId}`, issues);
}

export function billRoutes(deps: AppDeps, catalogue: Catalogues) {
  const { knex, config } = deps;
  const timing = heldPaymentTiming(config);
  const margin = commissionMargins(config).bill;
  const billerById = async (billerId: string) => {
    const biller = (await catalogue.billers()).find((b) => b.billerId === billerId);
    if (!biller) throw new NotFoundError('no biller with this id', { billerId });
    return biller;
  };
  /** Refreshes a still-processing fetch from BBPS. */
  const refresh = async (f: StoredBillFetch): Promise<StoredBillFetch> => {
    if (f.status !== 'PROCESSING') return f;
    const latest: BillFetch | null = await gatewayOf(deps.gateways, 'bbps').findBill(f.refId);
    if (!latest || latest.status === 'PROCESSING') return f;
    await updateBillFetch(knex, latest);
    return ownBillFetch(knex, f.userId, f.refId);
  };

  return [
    defineRoute({
      method: 'get',
      path: '/v1/bills/billers',
      summary: 'BBPS billers, optionally of one category',
      tag: 'catalogue',
      access: 'user',
      query: z.object({ category: z.string().min(1).max(40).optional() }),
      responses: { 200: z.object({ items: z.array(billerView) }) },
      handler: async ({ query }) => {
        const billers = await catalogue.billers();
        return { body: { items: query.category ? billers.filter((b) => b.category === query.category) : billers } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/bills/fetch',
      summary: 'Fetch a bill from its biller; 200 with the bill, or 202 with a reference to poll if BBPS is slow',
      tag: 'payments',
      access: 'user',
      rateLimit: 'billFetch',
      body: z.strictObject({
        billerId: z.string().min(1).max(20),
        customerParams: z.record(z.string().max(64), z.string().max(100)),
      }),
      responses: { 200: fetchedBill, 202: fetchedBill },
      handler: async ({ body, user }) => {
        const biller = await billerById(body.billerId);
        checkCustomerParams(biller, body.customerParams);
        const { refId } = await gatewayOf(deps.gateways, 'bbps').requestBill({
          billerId: biller.billerId,
          customerParams: body.customerParams,
        });
        await recordBillFetch(knex, {
          refId,
          userId: user.id,
          billerId: biller.billerId,
          customerParams: body.customerParams,
        });
        let f = await ownBillFetch(knex, user.id, refId);
        const until = Date.now() + FETCH_WAIT_MS;
        while (f.status === 'PROCESSING' && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 150));
          f = await refresh(f);
        }
        if (f.status === 'FAILURE')
          throw new BusinessRuleError(
            'bill_fetch_failed',
            `the biller could not fetch the bill: ${f.failureReason ?? 'no reason given'}`,
            { fetchRef: refId },
          );
        return { status: f.status === 'SUCCESS' ? 200 : 202, body: fetchView(f, biller) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bills/fetch/:fetchRef',
      summary: 'A bill fetched earlier (poll this after a 202)',
      tag: 'payments',
      access: 'user',
      params: z.object({ fetchRef: z.string().min(1).max(64) }),
      responses: { 200: fetchedBill },
      handler: async ({ params, user }) => {
        const f = await refresh(await ownBillFetch(knex, user.id, params.fetchRef));
        return { body: fetchView(f, await billerById(f.billerId)) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/payments/bills',
      summary:
        "Pay a fetched bill from the wallet (202 once the amount is held); the amount must fit the biller's exactness rule",
      tag: 'payments',
      access: 'user',
      rateLimit: 'payment',
      headers: idempotencyHeader,
      body: z.strictObject({
        billerId: z.string().min(1).max(20),
        fetchRef: z.string().min(1).max(64),
        amount: amountBetween(MIN_AMOUNT),
      }),
      responses: { 202: z.object({ paymentId: z.string(), status: z.enum(PAYMENT_STATUSES) }) },
      handler: async ({ body, user, ctx }) => {
        const f = await refresh(await ownBillFetch(knex, user.id, body.fetchRef));
        if (f.billerId !== body.billerId)
          throw new ValidationError('this bill was fetched from another biller', [
            { path: 'billerId', field: 'billerId', message: `the bill is from ${f.billerId}` },
          ]);
        if (f.status !== 'SUCCESS' || !f.bill)
          throw new BusinessRuleError(
            'bill_not_fetched',
            f.status === 'PROCESSING' ? 'the bill is still being fetched' : 'the bill could not be fetched',
          );
        const biller = await billerById(f.billerId);
        const refusal = billAmountRefusal(biller.exactness, f.bill.amount, body.amount);
        if (refusal)
          throw new BusinessRuleError('amount_not_allowed', refusal, {
            billAmount: formatRupees(f.bill.amount),
            exactness: biller.exactness,
          });
        const bill = f.bill;
        return startHeldPaymentRequest(
          deps,
          {
            ctx,
            user,
            operation: 'POST /v1/payments/bills',
            body,
            claim: (paymentId) => claimBillForPayment(knex, f.refId, paymentId),
          },
          (paymentId) => ({
            kind: 'bill',
            input: {
              paymentId,
              userId: user.id,
              amount: body.amount,
              billerId: biller.billerId,
              billerName: biller.name,
              fetchRef: f.refId,
              bill: { customerName: bill.customerName, billNumber: bill.billNumber, dueDate: bill.dueDate },
              commissionMarginRate: margin,
              ...timing,
            },
          }),
        );
      },
    }),
  ];
}
