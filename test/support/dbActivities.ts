import type { Knex } from 'knex';
import { createActivities } from '../../activities';
import { createPhonePeClient } from '../../providers/phonepe/client';

/**
 * The worker's activities over `knex`, for tests of steps that only touch the database: no
 * provider is called, so PhonePe's client points nowhere.
 */
export const databaseActivities = (knex: Knex) =>
  createActivities({
    knex,
    phonepe: createPhonePeClient({
      baseUrl: 'http://127.0.0.1:1',
      clientId: 'unused',
      clientVersion: '1',
      clientSecret: 'unused',
      timeoutMs: 1000,
    }),
  });
