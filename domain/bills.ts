/**
 * Whether an amount may be paid against a fetched bill, by the biller's exactness rule (BBPS):
 * EXACT: the bill amount; EXACT_AND_ABOVE: at least it (advance payment); EXACT_AND_BELOW: at
 * most it (part payment); ANY: any positive amount.
 */
import type { BillExactness } from './contracts';
import { formatRupees, Paise } from './money';

export function billAmountRefusal(exactness: BillExactness, billAmount: Paise, amount: Paise): string | undefined {
  const bill = `₹${formatRupees(billAmount)}`;
  if (amount <= 0) return 'the amount must be positive';
  switch (exactness) {
    case 'EXACT':
      return amount === billAmount ? undefined : `this biller accepts exactly the bill amount, ${bill}`;
    case 'EXACT_AND_ABOVE':
      return amount >= billAmount ? undefined : `this biller accepts the bill amount (${bill}) or more`;
    case 'EXACT_AND_BELOW':
      return amount <= billAmount ? undefined : `this biller accepts at most the bill amount, ${bill}`;
    case 'ANY':
      return undefined;
  }
}
