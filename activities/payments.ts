import type { Knex } from 'knex';
import { recordPaymentStatus } from '../db/payments';
import { decisionIsSigned } from '../domain/decisionProof';
import type { StatusChange } from '../domain/payments';

export function paymentActivities(deps: { knex: Knex; decisionKey?: Buffer }) {
  return {
    /**
     * Keeps the read model (status, timeline) current; idempotent. A change that applies an
     * operator's decision is audited in the same transaction, attributed by the decision's
     * channel: the admin API signs its decisions; anything else with access to Temporal (the
     * UI, the CLI) is recorded as `temporal-ui`, the name it typed only as claimed.
     */
    async recordPaymentStatus(change: StatusChange): Promise<void> {
      const { decision, ...rest } = change;
      if (!decision) {
        await recordPaymentStatus(deps.knex, rest);
        return;
      }
      const operator = decision.operator;
      const signed =
        deps.decisionKey !== undefined &&
        operator !== undefined &&
        decisionIsSigned(
          deps.decisionKey,
          { paymentId: change.paymentId, outcome: decision.outcome, reason: decision.reason, operator },
          decision.proof,
        );
      await recordPaymentStatus(
        deps.knex,
        { ...rest, actor: signed ? operator : 'temporal-ui' },
        {
          decision: {
            channel: signed ? 'admin-api' : 'temporal-ui',
            operatorUserCode: signed ? operator : null,
            outcome: decision.outcome,
            reason: decision.reason,
            ...(!signed && operator ? { claimedOperator: operator } : {}),
          },
        },
      );
    },
  };
}
