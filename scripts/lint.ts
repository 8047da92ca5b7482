/**
 * `npm run lint`: the guardrails `npm test` also runs: Prettier's format check (120 columns) and
 * the type-aware lint (floating and misused promises, unused code). `npm run format` fixes the
 * format; lint findings are fixed by hand.
 */
import { runGuardrails } from './stack/guardrails';

void runGuardrails({ print: true }).then((ok) => process.exit(ok ? 0 : 1));
