import { describe, expect, it } from 'vitest';
import type { StaffRow } from '../data/types';
import { offlineSession } from './session';

const grace: StaffRow = { id: 7, username: 'grace', name: 'Grace Hopper', role: 'manager', locations: ['NYC'], pin_offline: null, discount_limit: null };
const roles = { manager: { permissions: ['sell', 'refund'], max_discount_percent: '50' } };

describe('offline sign-in', () => {
  it("takes the role's permissions and limit from the server's bootstrap", () => {
    const session = offlineSession(grace, roles, undefined);
    expect(session).toMatchObject({ username: 'grace', permissions: ['sell', 'refund'], maxDiscountPercent: '50', token: null, offline: true });
  });

  it("keeps a member's own discount limit over the role's", () => {
    expect(offlineSession({ ...grace, discount_limit: '15' }, roles, undefined)?.maxDiscountPercent).toBe('15');
  });

  it('falls back to the last online sign-in when the stored bootstrap predates roles', () => {
    const session = offlineSession(grace, undefined, { permissions: ['sell'], max_discount_percent: '20' });
    expect(session).toMatchObject({ permissions: ['sell'], maxDiscountPercent: '20' });
  });

  it('refuses when the till knows neither', () => {
    expect(offlineSession(grace, undefined, undefined)).toBeNull();
  });
});
