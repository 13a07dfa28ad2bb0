/** Who is signed in on this till, and the till's own registration. */
import { createContext, useContext } from 'react';
import type { SessionOut } from '../api/client';
import type { Bootstrap } from '../sync/engine';

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

export const ROLE_PERMISSIONS: Record<string, string[]> = {
  cashier: ['sell', 'discount', 'shift_open', 'cash_movement', 'customer_create'],
  manager: ['sell', 'refund', 'discount', 'price_override', 'stock_adjust', 'shift_open', 'shift_close', 'cash_movement', 'customer_create', 'reports', 'manage_devices'],
  admin: ['sell', 'refund', 'discount', 'price_override', 'stock_adjust', 'shift_open', 'shift_close', 'cash_movement', 'customer_create', 'reports', 'manage_staff', 'manage_devices', 'audit'],
};
export const ROLE_DISCOUNT_LIMIT: Record<string, string> = { cashier: '10', manager: '50', admin: '100' };

export const can = (session: Session, permission: string) => session.permissions.includes(permission);

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

