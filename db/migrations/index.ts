/**
 * Migrations are imported, not discovered on disk, so they run the same under tsx, jest and a
 * compiled build. Append new ones; never edit one that has shipped.
 */
import type { Knex } from 'knex';
import * as m001 from './001_seed_schema';
import * as m002 from './002_ledger';
import * as m003 from './003_platform';
import * as m004 from './004_payment_records';
import * as m005 from './005_beneficiary_secrets';
import * as m006 from './006_bill_fetches';
import * as m007 from './007_kyc_submissions';
import * as m008 from './008_operations';
import * as m009 from './009_limit_counters';
import * as m010 from './010_redundant_statement_indexes';
import * as m011 from './011_reversal_watch';
import * as m012 from './012_live_session_index';
import * as m013 from './013_sessions';
import * as m014 from './014_rate_limit_counters';
import * as m015 from './015_two_factor';
import * as m016 from './016_operator_approvals';
import * as m017 from './017_immutable_audit_log';
import * as m018 from './018_hierarchy_lock';
import * as m019 from './019_sealed_kyc';
import * as m020 from './020_report_rollups';
import * as m021 from './021_covering_user_days';
import * as m022 from './022_active_holds_index';
import * as m023 from './023_report_user_weeks';
import * as m024 from './024_session_version';
import * as m025 from './025_timeline_starts_with_record';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  '001_seed_schema': m001,
  '002_ledger': m002,
  '003_platform': m003,
  '004_payment_records': m004,
  '005_beneficiary_secrets': m005,
  '006_bill_fetches': m006,
  '007_kyc_submissions': m007,
  '008_operations': m008,
  '009_limit_counters': m009,
  '010_redundant_statement_indexes': m010,
  '011_reversal_watch': m011,
  '012_live_session_index': m012,
  '013_sessions': m013,
  '014_rate_limit_counters': m014,
  '015_two_factor': m015,
  '016_operator_approvals': m016,
  '017_immutable_audit_log': m017,
  '018_hierarchy_lock': m018,
  '019_sealed_kyc': m019,
  '020_report_rollups': m020,
  '021_covering_user_days': m021,
  '022_active_holds_index': m022,
  '023_report_user_weeks': m023,
  '024_session_version': m024,
  '025_timeline_starts_with_record': m025,
};

class ImportedMigrations implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return Object.keys(MIGRATIONS);
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Migration> {
    return MIGRATIONS[name]!;
  }
}

export const migrationConfig: Knex.MigratorConfig = {
  migrationSource: new ImportedMigrations(),
  tableName: 'knex_migrations',
  // DDL in MySQL commits implicitly; wrapping it in a transaction would only pretend.
  disableTransactions: true,
};

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

export async function migrateDownToZero(knex: Knex): Promise<void> {
  await knex.migrate.rollback(migrationConfig, true);
}
