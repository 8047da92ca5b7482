/** Users' public ledger identity: `NP` and the zero-padded id, unique because the id is. */
export function userCodeFor(id: number): string {
  return `NP${String(id).padStart(6, '0')}`;
}

export const ROLES = ['customer', 'retailer', 'distributor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
