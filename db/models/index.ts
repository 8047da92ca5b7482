/**
 * Objection, where a relation graph pays off on the read side: a user with its upline chain
 * (`parent.parent…`) and its downline (`children.children.children`, one query per level, as
 * the commission depth needs). Everything else reads and writes with knex in db/: the ledger
 * writes with explicit row locks in a fixed order (db/ledger), which an ORM would hide, and
 * plain queries read the rest. Money columns stay DECIMAL strings here and become Paise only
 * through db/money.ts.
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
  static override get relationMappings(): RelationMappings {
    return {
      parent: {
        relation: Model.BelongsToOneRelation,
        modelClass: User,
        join: { from: 'users.parent_distributor_id', to: 'users.id' },
      },
      children: {
        relation: Model.HasManyRelation,
        modelClass: User,
        join: { from: 'users.id', to: 'users.parent_distributor_id' },
      },
    };
  }
}
