/** Run through `npm test`, which provisions MariaDB and Temporal and sets the env the suites read. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 120_000,
  maxWorkers: 2,
  // Suites share one Temporal server; each uses its own database and task queue.
  verbose: false,
};
