/** zod schemas shared by routes: the edge where outside input becomes core types. */
import { z } from 'zod';
import { formatRupees, parseApiAmount, Paise } from '../domain/money';
import { DomainError } from '../domain/errors';

/** "250.00" or 250 or 250.5 → Paise; anything else is a field-level validation error. */
export const amountInput = z
  .union([z.string(), z.number()])
  .transform((v, ctx): Paise => {
    try {
      return parseApiAmount(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof DomainError ? e.message : 'invalid amount' });
      return z.NEVER;
    }
  })
  .describe('Rupees: a string or number with at most two decimals, e.g. "250.00"');

/** ₹1.00: the least any operation moves (PhonePe's minimum too). */
export const MIN_AMOUNT = 100 as Paise;

/**
 * An amount within bounds, refused at the edge like any malformed field, and documented in the
 * OpenAPI document so generated clients check it too: `minimum`/`maximum` for the number form,
 * `x-minimum`/`x-maximum` (rupee strings) and the description for both.
 */
export function amountBetween(min: Paise, max?: Paise) {
  const bounds =
    max === undefined ? `at least ₹${formatRupees(min)}` : `between ₹${formatRupees(min)} and ₹${formatRupees(max)}`;
  return amountInput
    .refine((p) => p >= min && (max === undefined || p <= max), { message: `must be ${bounds}` })
    .meta({
      description: `Rupees ${bounds}: a string or number with at most two decimals, e.g. "250.00"`,
      minimum: min / 100,
      'x-minimum': formatRupees(min),
      ...(max === undefined ? {} : { maximum: max / 100, 'x-maximum': formatRupees(max) }),
    });
}

export const money = z
  .string()
  .regex(/^-?\d+\.\d{2}$/)
  .describe('Rupees with two decimals');
export const rupees = (p: Paise) => formatRupees(p);

export const isoDate = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((s) => new Date(s));
export const positiveId = z.coerce.number().int().positive();

export const userView = z.object({
  id: z.number(),
  userCode: z.string(),
  email: z.string(),
  username: z.string(),
  phone: z.string(),
  fullName: z.string().nullable(),
  role: z.enum(['customer', 'retailer', 'distributor', 'admin']),
  kycStatus: z.enum(['pending', 'verified', 'rejected']),
  isActive: z.boolean(),
  parentDistributorId: z.number().nullable(),
  commissionRate: z.string(),
  createdAt: z.string(),
});
export type UserView = z.infer<typeof userView>;
