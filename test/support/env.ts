/** What `npm test` provisions for the suites; running jest directly without it fails clearly. */
function required(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: run the suite with \`npm test\`, which provisions MariaDB and Temporal.`);
  return v;
}

export const testEnv = {
  get dbAdminUrl() {
    return required('TEST_DB_ADMIN_URL');
  },
  get temporalAddress() {
    return required('TEMPORAL_ADDRESS');
  },
  get temporalCli() {
    return required('TEMPORAL_CLI');
  },
  get workflowBundlePath() {
    return required('WORKFLOW_BUNDLE_PATH');
  },
  get schemathesisBin() {
    return required('SCHEMATHESIS_BIN');
  },
};
