/**
 * Which of the named triggers are missing from the current database, as the invariant checker's
 * offending rows.
 *
 * Asked one trigger at a time with `SHOW CREATE TRIGGER`, which reads that trigger's own file,
 * rather than from `information_schema.TRIGGERS`: that table has LONGTEXT columns, so MariaDB
 * builds an on-disk (Aria) temporary table for every read of it, and MariaDB 10.11 crashes the
 * whole server when such a table fails to open (`ha_maria::drop_table` on a handler that never
 * opened). The checker runs after every money-moving test and in daily reconciliation; CI lost
 * its database server to that crash once.
 */
import type { Knex } from 'knex';

/** MariaDB's ER_TRG_DOES_NOT_EXIST. */
const NO_SUCH_TRIGGER = 1360;

export async function missingTriggers(db: Knex, names: readonly string[]): Promise<Array<{ missing_trigger: string }>> {
  const missing: Array<{ missing_trigger: string }> = [];
  for (const name of names) {
    try {
      await db.raw('SHOW CREATE TRIGGER ??', [name]);
    } catch (err) {
      // Anything else (no TRIGGER privilege, say) fails the check run rather than passing for
      // a missing trigger.
      if ((err as { errno?: number }).errno !== NO_SUCH_TRIGGER) throw err;
      missing.push({ missing_trigger: name });
    }
  }
  return missing;
}
