/** Who is signed in, with their server session kept alive: renewed halfway, and swapped in for an offline PIN sign-in once online. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type SessionOut, call } from '../api/client';
import { type Device, type Session, type TillContextValue, sessionFrom } from './session';

const REFRESH_RETRY_MS = 5 * 60_000;

export function useSession(device: Device | null, browserOnline: boolean, notify: TillContextValue['notify']) {
  const [session, setSession] = useState<Session | null>(null);
  // The PIN of an offline sign-in, kept in memory only until the server has swapped it for a session.
  const pinRef = useRef<string | null>(null);

  // Signed in offline: once the network is back, swap the PIN for a server session.
  useEffect(() => {
    if (!browserOnline || !device || !session?.offline || !pinRef.current) return;
    const pin = pinRef.current;
    void call<SessionOut>({ baseUrl: location.origin, deviceToken: device.deviceToken }, 'POST', '/api/auth/pin', { username: session.username, pin })
      .then((signed) => {
        pinRef.current = null;
        setSession(sessionFrom(signed));
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError) notify(`Could not renew the session: ${error.detail}`, 'warning');
      });
  }, [browserOnline, device, session, notify]);

  // Swap the token for a new one halfway through its life (the server revokes the old one at
  // once and useSync hands the new one to the sync worker); retry every few minutes while the
  // server cannot be reached.
  useEffect(() => {
    if (!session?.token || !session.expiresAt) return;
    const token = session.token;
    let timer: ReturnType<typeof setTimeout>;
    const refresh = () => {
      call<SessionOut>({ baseUrl: location.origin, token }, 'POST', '/api/auth/refresh')
        .then((signed) => setSession((current) => (current?.token === token ? { ...current, token: signed.token, expiresAt: signed.expires_at } : current)))
        .catch((error: unknown) => {
          // 401: the session is over (status.authExpired tells the user); otherwise try again.
          if (!(error instanceof ApiError && error.status === 401)) timer = setTimeout(refresh, REFRESH_RETRY_MS);
        });
    };
    const halfLife = (Date.parse(session.expiresAt) - Date.now()) / 2;
    timer = setTimeout(refresh, Math.max(halfLife, 0));
    return () => clearTimeout(timer);
  }, [session?.token, session?.expiresAt]);

  /** A sign-in; the PIN is kept only for an offline one, to swap for a server session later. */
  const signIn = useCallback((signed: Session, pin: string | null) => {
    pinRef.current = signed.offline ? pin : null;
    setSession(signed);
  }, []);

  const signOut = useCallback(() => {
    setSession(null);
    pinRef.current = null;
  }, []);

  return { session, signIn, signOut };
}
