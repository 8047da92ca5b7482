/**
 * Beneficiaries: bank accounts a user pays out to. Numbers are stored encrypted and shown
 * masked; a payout needs the beneficiary verified by penny-drop through the payout provider.
 */
import { z } from 'zod';
import { auditedChange } from '../../db/audit';
import {
  accountNumberOf,
  addBeneficiary,
  Beneficiary,
  beneficiaryKeysOf,
  deactivateBeneficiary,
  listBeneficiaries,
  maskAccount,
  ownBeneficiary,
  recordVerification,
} from '../../db/beneficiaries';
import { BusinessRuleError, KycRequiredError } from '../../domain/errors';
import { IFSC } from '../../providers/payout/wire';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';
import { gatewayOf } from '../providerPayments';
import { positiveId } from '../schemas';
import { createStepUp, stepUpHeader } from '../auth/stepUp';
import { createPennyDropBudget } from '../rateLimits';
import { clientInfo } from './auth';

const beneficiaryView = z.object({
  id: z.number(),
  beneficiaryName: z.string(),
  accountNumber: z.string().describe('masked: XXXXXX1234'),
  ifscCode: z.string(),
  bankName: z.string(),
  accountType: z.enum(['savings', 'current', 'overdraft']),
  relationship: z.string().nullable(),
  nickname: z.string().nullable(),
  isVerified: z.boolean(),
  verificationDate: z.string().nullable(),
  nameAtBank: z.string().nullable(),
  createdAt: z.string(),
});

const toView = (b: Beneficiary): z.infer<typeof beneficiaryView> => ({
  id: b.id,
  beneficiaryName: b.name,
  accountNumber: maskAccount(b.accountLast4),
  ifscCode: b.ifsc,
  bankName: b.bankName,
  accountType: b.accountType,
  relationship: b.relationship,
  nickname: b.nickname,
  isVerified: b.isVerified,
  verificationDate: b.verificationDate ? new Date(b.verificationDate).toISOString() : null,
  nameAtBank: b.nameAtBank,
  createdAt: new Date(b.createdAt).toISOString(),
});

const idParams = z.object({ id: positiveId });

export function beneficiaryRoutes(deps: AppDeps) {
  const { knex } = deps;
  const spendPennyDrop = createPennyDropBudget(knex, deps.config);
  const keys = beneficiaryKeysOf(deps.config);
  const stepUp = createStepUp(knex, deps.config);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/beneficiaries',
      summary:
        'Add a bank beneficiary (stored encrypted; verify it before paying it); with two-factor on, it needs a code',
      tag: 'beneficiaries',
      access: 'user',
      headers: stepUpHeader,
      body: z.strictObject({
        beneficiaryName: z.string().trim().min(2).max(100),
        accountNumber: z.string().regex(/^\d{6,18}$/, '6 to 18 digits'),
        ifscCode: z.string().regex(IFSC, 'an IFSC such as HDFC0001234'),
        bankName: z.string().trim().min(2).max(255),
        accountType: z.enum(['savings', 'current', 'overdraft']).optional(),
        relationship: z.string().trim().max(100).optional(),
        nickname: z.string().trim().max(100).optional(),
      }),
      responses: { 201: beneficiaryView },
      handler: async ({ body, user, ctx }) => {
        await stepUp(ctx, user, 'adding a beneficiary');
        const b = await auditedChange(
          knex,
          (trx) =>
            addBeneficiary(trx, keys, {
              userId: user.id,
              name: body.beneficiaryName,
              accountNumber: body.accountNumber,
              ifsc: body.ifscCode,
              bankName: body.bankName,
              ...(body.accountType ? { accountType: body.accountType } : {}),
              ...(body.relationship ? { relationship: body.relationship } : {}),
              ...(body.nickname ? { nickname: body.nickname } : {}),
            }),
          (added) => ({
            actorUserId: user.id,
            action: 'beneficiary.add',
            targetType: 'beneficiary',
            targetId: added.id,
            outcome: 'success',
            ...clientInfo(ctx),
          }),
        );
        return { status: 201, body: toView(b) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/beneficiaries',
      summary: "The user's active beneficiaries",
      tag: 'beneficiaries',
      access: 'user',
      responses: { 200: z.object({ items: z.array(beneficiaryView) }) },
      handler: async ({ user }) => ({ body: { items: (await listBeneficiaries(knex, user.id)).map(toView) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/beneficiaries/:id',
      summary: 'One beneficiary',
      tag: 'beneficiaries',
      access: 'user',
      params: idParams,
      responses: { 200: beneficiaryView },
      handler: async ({ params, user }) => ({ body: toView(await ownBeneficiary(knex, user.id, params.id)) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/beneficiaries/:id',
      summary: 'Remove a beneficiary (kept, inactive, for the statements that name it)',
      tag: 'beneficiaries',
      access: 'user',
      params: idParams,
      responses: { 204: null },
      handler: async ({ params, user, ctx }) => {
        await auditedChange(
          knex,
          (trx) => deactivateBeneficiary(trx, user.id, params.id),
          () => ({
            actorUserId: user.id,
            action: 'beneficiary.delete',
            targetType: 'beneficiary',
            targetId: params.id,
            outcome: 'success',
            ...clientInfo(ctx),
          }),
        );
        return { status: 204, body: undefined };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/beneficiaries/:id/verify',
      summary: 'Penny-drop verification through the payout provider; stores the name the bank holds',
      tag: 'beneficiaries',
      access: 'user',
      account: ['kyc_status'],
      rateLimit: 'pennyDrop',
      params: idParams,
      responses: { 200: beneficiaryView },
      handler: async ({ params, user, ctx }) => {
        // A penny-drop reveals the name an account is held in: only for KYC-verified users, once
        // per beneficiary that passed, and within a daily budget.
        if (user.account.kyc_status !== 'verified') throw new KycRequiredError();
        const b = await ownBeneficiary(knex, user.id, params.id);
        if (b.isVerified) return { body: toView(b) };
        await spendPennyDrop(user.id);
        const result = await gatewayOf(deps.gateways, 'payout').verifyAccount({
          accountNumber: await accountNumberOf(knex, keys, b.id),
          ifsc: b.ifsc,
        });
        await auditedChange(
          knex,
          (trx) => recordVerification(trx, b.id, result),
          () => ({
            actorUserId: user.id,
            action: 'beneficiary.verify',
            targetType: 'beneficiary',
            targetId: b.id,
            outcome: result.valid ? 'success' : 'failure',
            ...clientInfo(ctx),
          }),
        );
        if (!result.valid)
          throw new BusinessRuleError('beneficiary_invalid', 'the bank reports no such account at this IFSC', {
            beneficiaryId: b.id,
          });
        return { body: toView(await ownBeneficiary(knex, user.id, b.id)) };
      },
    }),
  ];
}
