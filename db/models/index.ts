/**
 * Objection models of the schema, for reads and relation graphs (a user's upline, a journal's
 * entries, a payment's timeline). Money columns stay DECIMAL strings here and become Paise only
 * through db/money.ts. The ledger itself writes with knex and explicit row locks (db/ledger),
 * never through these models: its lock order is the point, and an ORM would hide it.
 */
import { Model, RelationMappings } from 'objection';

export class User extends Model {
  static override tableName = 'users';
  id!: number;
  email!: string;
  username!: string;
  phone!: string;
  full_name!: string | null;
  wallet_balance!: string;
  held_balance!: string;
  role!: 'customer' | 'retailer' | 'distributor' | 'admin';
  kyc_status!: 'pending' | 'verified' | 'rejected';
  commission_rate!: string;
  parent_distributor_id!: number | null;
  user_code!: string | null;
  is_active!: boolean | number;
  parent?: User;
  children?: User[];
  transactions?: Transaction[];
  static override get relationMappings(): RelationMappings {
    return {
      parent: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'users.parent_distributor_id', to: 'users.id' } },
      children: { relation: Model.HasManyRelation, modelClass: User, join: { from: 'users.id', to: 'users.parent_distributor_id' } },
      transactions: { relation: Model.HasManyRelation, modelClass: Transaction, join: { from: 'users.id', to: 'transactions.user_id' } },
      beneficiaries: { relation: Model.HasManyRelation, modelClass: Beneficiary, join: { from: 'users.id', to: 'beneficiaries.user_id' } },
      holds: { relation: Model.HasManyRelation, modelClass: Hold, join: { from: 'users.id', to: 'holds.user_id' } },
    };
  }
}

export class Transaction extends Model {
  static override tableName = 'transactions';
  id!: number;
  user_id!: number;
  transaction_type!: string;
  amount!: string;
  status!: string;
  reference_number!: string | null;
  ledger_type!: string | null;
  opening_balance!: string | null;
  closing_balance!: string | null;
  user?: User;
  commissions?: Commission[];
  static override get relationMappings(): RelationMappings {
    return {
      user: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'transactions.user_id', to: 'users.id' } },
      recipient: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'transactions.recipient_id', to: 'users.id' } },
      commissions: { relation: Model.HasManyRelation, modelClass: Commission, join: { from: 'transactions.id', to: 'commissions.transaction_id' } },
    };
  }
}

/** PhonePe's gateway record (the seed's `payments` table). */
export class GatewayPayment extends Model {
  static override tableName = 'payments';
  id!: number;
  user_id!: number;
  transaction_id!: number | null;
  phonepe_merchant_transaction_id!: string | null;
  phonepe_transaction_id!: string | null;
  amount!: string;
  status!: 'pending' | 'success' | 'failed' | 'cancelled' | 'expired';
  static override get relationMappings(): RelationMappings {
    return {
      user: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'payments.user_id', to: 'users.id' } },
      transaction: { relation: Model.BelongsToOneRelation, modelClass: Transaction, join: { from: 'payments.transaction_id', to: 'transactions.id' } },
    };
  }
}

export class Beneficiary extends Model {
  static override tableName = 'beneficiaries';
  id!: number;
  user_id!: number;
  beneficiary_name!: string;
  ifsc_code!: string;
  is_verified!: boolean | number;
}

export class Commission extends Model {
  static override tableName = 'commissions';
  id!: number;
  user_id!: number;
  transaction_id!: number;
  parent_user_id!: number;
  commission_rate!: string;
  commission_amount!: string;
  level!: number;
  static override get relationMappings(): RelationMappings {
    return {
      earner: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'commissions.parent_user_id', to: 'users.id' } },
      transaction: { relation: Model.BelongsToOneRelation, modelClass: Transaction, join: { from: 'commissions.transaction_id', to: 'transactions.id' } },
    };
  }
}

export class SystemAccount extends Model {
  static override tableName = 'system_accounts';
  id!: number;
  code!: string;
  normal_side!: 'debit' | 'credit';
  balance!: string;
}

export class LedgerJournal extends Model {
  static override tableName = 'ledger_journals';
  id!: number;
  reference!: string;
  ledger_type!: string;
  entries?: LedgerEntry[];
  static override get relationMappings(): RelationMappings {
    return {
      entries: { relation: Model.HasManyRelation, modelClass: LedgerEntry, join: { from: 'ledger_journals.id', to: 'ledger_entries.journal_id' } },
    };
  }
}

export class LedgerEntry extends Model {
  static override tableName = 'ledger_entries';
  id!: number;
  journal_id!: number;
  user_id!: number | null;
  system_account_id!: number | null;
  debit!: string;
  credit!: string;
  balance_after!: string;
  systemAccount?: SystemAccount;
  static override get relationMappings(): RelationMappings {
    return {
      journal: { relation: Model.BelongsToOneRelation, modelClass: LedgerJournal, join: { from: 'ledger_entries.journal_id', to: 'ledger_journals.id' } },
      user: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'ledger_entries.user_id', to: 'users.id' } },
      systemAccount: { relation: Model.BelongsToOneRelation, modelClass: SystemAccount, join: { from: 'ledger_entries.system_account_id', to: 'system_accounts.id' } },
    };
  }
}

export class Hold extends Model {
  static override tableName = 'holds';
  id!: number;
  user_id!: number;
  amount!: string;
  status!: 'active' | 'captured' | 'released';
  reference!: string;
}

export class PaymentRecord extends Model {
  static override tableName = 'payment_records';
  id!: string;
  kind!: string;
  user_id!: number;
  status!: string;
  events?: PaymentEvent[];
  static override get relationMappings(): RelationMappings {
    return {
      events: { relation: Model.HasManyRelation, modelClass: PaymentEvent, join: { from: 'payment_records.id', to: 'payment_events.payment_id' } },
      user: { relation: Model.BelongsToOneRelation, modelClass: User, join: { from: 'payment_records.user_id', to: 'users.id' } },
    };
  }
}

export class PaymentEvent extends Model {
  static override tableName = 'payment_events';
  id!: number;
  payment_id!: string;
  status!: string;
  note!: string | null;
}

export class RefreshToken extends Model {
  static override tableName = 'refresh_tokens';
}
export class IdempotencyKey extends Model {
  static override tableName = 'idempotency_keys';
}
export class WebhookEvent extends Model {
  static override tableName = 'webhook_events';
}
export class AuditLog extends Model {
  static override tableName = 'audit_logs';
}
export class ReconciliationReport extends Model {
  static override tableName = 'reconciliation_reports';
}
