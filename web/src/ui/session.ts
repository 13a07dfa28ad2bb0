/** Who is signed in on this till, and the till's own registration. */
import { createContext, useContext } from 'react';
import type { SessionOut } from '../api/client';
import type { Bootstrap, RoleGrant, StaffRow } from '../data/types';

export interface Device {
  deviceId: string;
  deviceToken: string;
  registerCode: string;
  locationCode: string;
}

export interface Session {
  staffId: number;
  username: string;
  name: string;
  role: string;
  permissions: string[];
  maxDiscountPercent: string;
  /** null when signed in offline by PIN; the sync keeps the till's last server token. */
  token: string | null;
  /** When the server ends the token (ISO time); the till swaps it for a new one well before. */
  expiresAt: string | null;
  offline: boolean;
}

export interface TillContextValue {
  device: Device;
  session: Session;
  boot: Bootstrap | null;
  notify: (message: string, severity?: 'success' | 'info' | 'warning' | 'error') => void;
  signOut: () => void;
}

export const TillContext = createContext<TillContextValue | null>(null);

export function useTill(): TillContextValue {
  const value = useContext(TillContext);
  if (!value) throw new Error('useTill outside the till');
  return value;
}

export const can = (session: Session, permission: string) => session.permissions.includes(permission);

/** Who is acting at the till, as queued actions carry it: a PIN checked offline is said so, for the server to flag. */
export const actorOf = (session: Session): { staffId: number; signIn: 'online' | 'offline_pin' } => ({
  staffId: session.staffId,
  signIn: session.offline ? 'offline_pin' : 'online',
});

export function sessionFrom(signed: SessionOut): Session {
  return {
    staffId: signed.staff.id,
    username: signed.staff.username,
    name: signed.staff.name,
    role: signed.staff.role,
    permissions: signed.staff.permissions,
    maxDiscountPercent: signed.staff.max_discount_percent,
    token: signed.token,
    expiresAt: signed.expires_at,
    offline: false,
  };
}


/** What a server session granted, kept per staff member for a till whose bootstrap predates `roles`. */
export function grantOf(session: Session): RoleGrant {
  return { permissions: session.permissions, max_discount_percent: session.maxDiscountPercent };
}

/**
 * The session of a PIN checked offline: the role's permissions and limit as the server's
 * bootstrap gave them, or else as this member's last online sign-in gave them; null when the
 * till knows neither (it must sign this member in online once).
 */
export function offlineSession(member: StaffRow, roles: Bootstrap['roles'], lastGrant: RoleGrant | undefined): Session | null {
  const grant = roles?.[member.role] ?? lastGrant;
  if (!grant) return null;
  return {
    staffId: member.id,
    username: member.username,
    name: member.name,
    role: member.role,
    permissions: grant.permissions,
    maxDiscountPercent: member.discount_limit ?? grant.max_discount_percent,
    token: null,
    expiresAt: null,
    offline: true,
  };
}
