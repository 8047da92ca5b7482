/** The trivial workflows' one activity: returns its input. */
export async function noop(n: number): Promise<number> {
  return n;
}
