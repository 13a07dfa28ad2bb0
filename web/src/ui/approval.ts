/** A manager approves an exception on the till by PIN: signed by the server when it answers, else checked against the offline verifier (the server flags that one). */
import { ApiError, type ApprovalOut, NetworkError, call } from '../api/client';
import type { Bootstrap, CartApproval, StaffRow } from '../data/types';
import { checkOfflinePin } from './pin';

/** The member's own discount limit, else their role's from the bootstrap. */
export function limitOf(member: StaffRow, roles: Bootstrap['roles']): string | null {
  return member.discount_limit ?? roles?.[member.role]?.max_discount_percent ?? null;
}

/** The approval of `member` by `pin` on this till (`till`: the server's address and the till's device token). */
export async function requestApproval(till: { baseUrl: string; deviceToken: string }, member: StaffRow, pin: string, roles: Bootstrap['roles']): Promise<CartApproval> {
  const limit = limitOf(member, roles);
  if (limit === null) throw new Error('This till does not know what this member may approve yet.');
  try {
    const given = await call<ApprovalOut>(till, 'POST', '/api/auth/approvals', { username: member.username, pin }, { timeoutMs: 5000 });
    return { approvedBy: given.staff_id, username: given.username, limit, proof: given.approval };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) throw new Error(error.status === 401 ? 'Wrong PIN.' : error.detail);
    if (!(error instanceof NetworkError || error instanceof ApiError)) throw error;
    // No server: the PIN is checked here; the sale carries the approval without proof.
    if (!(await checkOfflinePin(member.pin_offline, pin))) throw new Error('Wrong PIN.');
    return { approvedBy: member.id, username: member.username, limit, proof: null };
  }
}
