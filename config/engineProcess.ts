/**
 * How the engine's own processes (the API and the worker) hold memory. Each setting was measured
 * with `npm run bench -- --after 10000` (docs/performance.md, "The worker's memory after the
 * load"); together they keep the worker under 300 MB through 10,000 payments.
 *
 * - The worker runs with an 8 MB V8 semi-space instead of 16 MB, per isolate (it has two: its
 *   main thread and the workflow thread). A command-line flag: the stacks and the compose file
 *   pass it. It was 2 MB; once the machine's CPU, not the task queue, bounded the transfers,
 *   the scavenges of so small a young generation cost a transfer about 3 ms of the worker's
 *   CPU (docs/performance.md, "The worker's young generation, again"). The API keeps V8's
 *   default young generation: it never neared 300 MB, and with 2 MB it spent about a sixth more
 *   CPU per read on scavenges, which doubled the statement page's p99 (docs/performance.md,
 *   "The API keeps V8's default young generation").
 * - `MALLOC_ARENA_MAX=2`: glibc otherwise gives each busy thread (the Temporal core's, Node's
 *   and libuv's) its own malloc arena, and each arena keeps what it once held. It must be in
 *   the environment before the process starts: the stacks set it, and so does the Dockerfile.
 * - A heap that grows by 25% of what survives a full collection, instead of V8's up to 300%.
 *   The live heaps of a loaded worker stay near 90 MB, but under load V8 grew them to about
 *   290 MB of pages before collecting. Node refuses this flag in NODE_OPTIONS, so each process
 *   sets it itself at start (`limitHeapGrowth`); V8 reads it whenever it sizes the heap after a
 *   collection, in every isolate of the process.
 */
import v8 from 'node:v8';

export type EngineProcess = 'api' | 'worker';

export const ENGINE_NODE_FLAGS: Record<EngineProcess, readonly string[]> = {
  api: [],
  worker: ['--max-semi-space-size=8'],
};

/** Which engine process a stack's process name ('api', 'api-2', 'worker-1', …) is, if any. */
export function engineProcessOf(name: string): EngineProcess | undefined {
  return name.startsWith('api') ? 'api' : name.startsWith('worker') ? 'worker' : undefined;
}

export const ENGINE_ENV = { MALLOC_ARENA_MAX: '2' };

const HEAP_GROWING_PERCENT = 25;

/** Call first thing in a process's entry point (not when imported by tests). */
export function limitHeapGrowth(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
