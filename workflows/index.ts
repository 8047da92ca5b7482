/** Every workflow the worker runs. Only deterministic code reachable from here. */
export {};
