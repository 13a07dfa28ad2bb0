/** The till: set-up, sign-in, and the cashier's screens, with sync status always in view. */
import {
  Alert,
  AppBar,
  Box,
  Button,
  Chip,
  CssBaseline,
  LinearProgress,
  Snackbar,
  Tab,
  Tabs,
  ThemeProvider,
  Toolbar,
  Typography,
  createTheme,
} from '@mui/material';
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, type SessionOut, call } from '../api/client';
import { db, getMeta } from '../data/db';
import type { Bootstrap } from '../data/types';
import type { PullProgress } from '../sync/engine';
import { configureSync, onWorker, send } from '../sync/client';
import type { SyncStatus, WorkerConfig } from '../sync/messages';
import { useLive } from './hooks';
import { OfficeBoundary } from './OfficeBoundary';
import { Orders } from './Orders';
import { Sell } from './sell/Sell';
import { type Device, type Session, TillContext, can, sessionFrom } from './session';
import { Setup } from './Setup';
import { ShiftScreen } from './Shift';
import { SignIn } from './SignIn';

const theme = createTheme({
  palette: { primary: { main: '#0d47a1' } },
  components: {
    // Finger-sized targets: at least 48 px high.
    MuiButton: { defaultProps: { size: 'large' }, styleOverrides: { root: { minHeight: 48 } } },
    MuiIconButton: { styleOverrides: { root: { minWidth: 48, minHeight: 48 } } },
    MuiTab: { styleOverrides: { root: { minHeight: 48 } } },
  },
});

// Online-only pages for managers and admins, in their own chunk: the till's first load stays small.
const BackOffice = lazy(() => import('./admin/BackOffice'));

type Screen = 'sell' | 'orders' | 'shift' | 'office';

const REFRESH_RETRY_MS = 5 * 60_000;

export function App() {
  const [loaded, setLoaded] = useState(false);
  const [device, setDevice] = useState<Device | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [boot, setBoot] = useState<Bootstrap | null>(null);
  const [progress, setProgress] = useState<PullProgress | null>(null);
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [screen, setScreen] = useState<Screen>('sell');
  const [toast, setToast] = useState<{ message: string; severity: 'success' | 'info' | 'warning' | 'error' } | null>(null);
  const [browserOnline, setBrowserOnline] = useState(navigator.onLine);
  const pinRef = useRef<string | null>(null);
  const counts = useLive(
    async () => ({
      pending: await db().outbox.where('status').equals('pending').count(),
      rejected: await db().outbox.where('status').equals('rejected').count(),
    }),
    [],
    { pending: 0, rejected: 0 },
  );

  const notify = useCallback((message: string, severity: 'success' | 'info' | 'warning' | 'error' = 'info') => setToast({ message, severity }), []);

  useEffect(() => {
    void (async () => {
      setDevice((await getMeta<Device>(db(), 'device')) ?? null);
      setBoot((await getMeta<Bootstrap>(db(), 'bootstrap')) ?? null);
      setLoaded(true);
      try {
        const persisted = await navigator.storage?.persist?.();
        if (persisted === false) console.info('storage may be cleared under pressure: the browser refused persistence');
      } catch {
        // Not supported: nothing to do.
      }
    })();
    const off = onWorker((message) => {
      if (message.type === 'status') setStatus(message.status);
      else if (message.type === 'progress') setProgress(message.progress);
      else if (message.type === 'pulled') {
        setProgress(null);
        void getMeta<Bootstrap>(db(), 'bootstrap').then((b) => setBoot(b ?? null));
      } else if (message.type === 'pushed' && message.rejected > 0) {
        setToast({ message: `${message.rejected} item(s) were refused by the server: see Orders`, severity: 'error' });
      }
    });
    const online = () => setBrowserOnline(true);
    const offline = () => setBrowserOnline(false);
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      off();
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
    };
  }, []);

  // Keep the sync worker running with the till's newest server token, whoever is signed in.
  useEffect(() => {
    if (!device) return;
    void (async () => {
      const previous = await getMeta<WorkerConfig>(db(), 'workerConfig');
      const token = session?.token ?? previous?.token ?? null;
      await configureSync({ baseUrl: location.origin, token, location: device.locationCode, registerCode: device.registerCode });
    })();
  }, [device, session?.token]);

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
  // once and the effect above hands the new one to the sync worker); retry every few minutes
  // while the server cannot be reached.
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

  // A session the server ended (status.authExpired) while a PIN is still known: renew it.
  useEffect(() => {
    if (status?.authExpired && session && !session.offline) notify('The server ended this session: sign in again to send sales.', 'warning');
  }, [status?.authExpired, session, notify]);

  const signOut = useCallback(() => {
    setSession(null);
    pinRef.current = null;
  }, []);

  if (!loaded) return null;
  if (!device) {
    return (
      <ThemeProvider theme={theme}>
        <CssBaseline />
        <Setup
          progress={progress}
          onDone={(d, signed) => {
            setDevice(d);
            setSession(sessionFrom(signed));
            send({ type: 'pull' });
          }}
        />
      </ThemeProvider>
    );
  }

  const online = browserOnline && (status?.online ?? true);
  const badge = (
    <Chip
      data-testid="sync-badge"
      data-live={status?.live ? 'true' : 'false'}
      color={online ? (counts.pending > 0 ? 'warning' : 'success') : 'default'}
      label={`${online ? 'Online' : 'Offline'} · ${counts.pending} unsent${counts.rejected ? ` · ${counts.rejected} refused` : ''}`}
      sx={{ bgcolor: online ? undefined : 'grey.300', fontWeight: 600 }}
      title={status?.lastError ?? (status?.lastSyncAt ? `last sync ${new Date(status.lastSyncAt).toLocaleTimeString()}` : '')}
    />
  );

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <AppBar position="sticky" className="no-print">
        <Toolbar sx={{ gap: 1, flexWrap: 'wrap', py: 0.5 }}>
          <Typography variant="h6" sx={{ mr: 1 }}>
            Till · {device.registerCode}
          </Typography>
          {session && (
            <Tabs value={screen} onChange={(_, v: Screen) => setScreen(v)} textColor="inherit" TabIndicatorProps={{ style: { background: 'white' } }}>
              <Tab value="sell" label="Sell" data-testid="nav-sell" />
              <Tab value="orders" label="Orders" data-testid="nav-orders" />
              <Tab value="shift" label="Shift" data-testid="nav-shift" />
              {can(session, 'reports') && <Tab value="office" label="Back office" data-testid="nav-office" />}
            </Tabs>
          )}
          <Box sx={{ flex: 1 }} />
          {badge}
          {session && (
            <Button color="inherit" onClick={signOut} data-testid="sign-out">
              {session.name.split(' ')[0]} · Lock
            </Button>
          )}
        </Toolbar>
        {(progress || status?.syncing) && (
          <Box data-testid="sync-progress">
            <LinearProgress
              color="secondary"
              variant={progress ? 'determinate' : 'indeterminate'}
              value={progress ? Math.min(100, (100 * progress.cursor) / Math.max(1, progress.target)) : undefined}
            />
          </Box>
        )}
      </AppBar>
      {progress && (
        <Alert severity="info" className="no-print">
          Syncing {progress.dataset}: {progress.items} items so far
        </Alert>
      )}
      {!session ? (
        <SignIn
          device={device}
          onSignedIn={(s, pin) => {
            pinRef.current = s.offline ? pin : null;
            setSession(s);
            setScreen('sell');
          }}
        />
      ) : (
        <TillContext.Provider value={{ device, session, boot, notify, signOut }}>
          <Box component="main" sx={{ p: { xs: 1, sm: 2 } }}>
            {screen === 'sell' && <Sell onNeedShift={() => setScreen('shift')} />}
            {screen === 'orders' && <Orders />}
            {screen === 'shift' && <ShiftScreen />}
            {screen === 'office' && can(session, 'reports') && (
              <OfficeBoundary>
                <Suspense fallback={<LinearProgress aria-label="Loading the back office" />}>
                  <BackOffice session={session} online={online} notify={notify} />
                </Suspense>
              </OfficeBoundary>
            )}
          </Box>
        </TillContext.Provider>
      )}
      <Snackbar open={toast !== null} autoHideDuration={6000} onClose={() => setToast(null)} anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}>
        {toast ? (
          <Alert severity={toast.severity} onClose={() => setToast(null)} variant="filled" data-testid="toast">
            {toast.message}
          </Alert>
        ) : undefined}
      </Snackbar>
    </ThemeProvider>
  );
}
