/** The till: set-up, sign-in, and the cashier's screens, with sync status always in view. */
import { Alert, Box, CssBaseline, LinearProgress, Snackbar, ThemeProvider, createTheme } from '@mui/material';
import { Suspense, lazy, useCallback, useEffect, useRef, useState } from 'react';
import { db, getMeta } from '../data/db';
import { send } from '../sync/client';
import { OfficeBoundary } from './OfficeBoundary';
import { Orders } from './Orders';
import { Sell } from './sell/Sell';
import { type Device, TillContext, type TillContextValue, can, sessionFrom } from './session';
import { Setup } from './Setup';
import { StockScreen } from './stock/StockScreen';
import { ShiftScreen } from './Shift';
import { SignIn } from './SignIn';
import { type Screen, TillBar } from './TillBar';
import { useBrowserOnline } from './useBrowserOnline';
import { useSession } from './useSession';
import { useSync } from './useSync';

const theme = createTheme({
  // Darker warning and info than MUI's defaults: white text on them reaches 4.5:1 (5.0 and 7.4;
  // MUI's #ed6c02 and #0288d1 give 3.1 and 3.9, which axe finds on the flags' chips).
  palette: { primary: { main: '#0d47a1' }, warning: { main: '#b45309' }, info: { main: '#01579b' } },
  components: {
    // Finger-sized targets: at least 48 px high.
    MuiButton: { defaultProps: { size: 'large' }, styleOverrides: { root: { minHeight: 48 } } },
    MuiIconButton: { styleOverrides: { root: { minWidth: 48, minHeight: 48 } } },
    MuiTab: { styleOverrides: { root: { minHeight: 48 } } },
  },
});

// Online-only pages for managers and admins, in their own chunk: the till's first load stays small.
const BackOffice = lazy(() => import('./admin/BackOffice'));

type Severity = 'success' | 'info' | 'warning' | 'error';

export function App() {
  const [loaded, setLoaded] = useState(false);
  const [device, setDevice] = useState<Device | null>(null);
  const [screen, setScreen] = useState<Screen>('sell');
  const [toast, setToast] = useState<{ message: string; severity: Severity } | null>(null);
  const notify: TillContextValue['notify'] = useCallback((message: string, severity: Severity = 'info') => setToast({ message, severity }), []);
  const browserOnline = useBrowserOnline();
  const { session, signIn, signOut } = useSession(device, browserOnline, notify);
  const sync = useSync(device, session?.token ?? null, notify);
  const { boot, progress, status } = sync;

  useEffect(() => {
    void (async () => {
      setDevice((await getMeta<Device>(db(), 'device')) ?? null);
      setLoaded(true);
      try {
        const persisted = await navigator.storage?.persist?.();
        if (persisted === false) console.info('storage may be cleared under pressure: the browser refused persistence');
      } catch {
        // Not supported: nothing to do.
      }
    })();
  }, []);

  // The server ended the session (status.authExpired): say so, since sales wait until a new sign-in.
  useEffect(() => {
    if (status?.authExpired && session && !session.offline) notify('The server ended this session: sign in again to send sales.', 'warning');
  }, [status?.authExpired, session, notify]);

  // Back online: say so once what was kept offline has been sent.
  const online = browserOnline && (status?.online ?? true);
  const waiting = useRef(0);
  const pending = sync.counts.pending;
  useEffect(() => {
    if (!online) waiting.current = Math.max(waiting.current, pending);
    else if (pending === 0 && waiting.current > 0) {
      notify(`Back online: the ${waiting.current} item(s) kept on this till while offline are sent.`, 'success');
      waiting.current = 0;
    }
  }, [online, pending, notify]);

  if (!loaded || boot === undefined) return null;
  if (!device) {
    return (
      <ThemeProvider theme={theme}>
        <CssBaseline />
        <Setup
          progress={progress}
          onDone={(d, signed) => {
            setDevice(d);
            signIn(sessionFrom(signed), null);
            send({ type: 'pull' });
          }}
        />
      </ThemeProvider>
    );
  }

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <TillBar device={device} session={session} screen={screen} onScreen={setScreen} online={online} sync={sync} onSignOut={signOut} />
      {!session ? (
        <SignIn
          device={device}
          onSignedIn={(s, pin) => {
            signIn(s, pin);
            setScreen('sell');
          }}
        />
      ) : (
        <TillContext.Provider value={{ device, session, boot, notify, signOut }}>
          <Box component="main" sx={{ p: { xs: 1, sm: 2 } }}>
            {screen === 'sell' && <Sell onNeedShift={() => setScreen('shift')} />}
            {screen === 'orders' && <Orders />}
            {screen === 'shift' && <ShiftScreen />}
            {screen === 'stock' && <StockScreen />}
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
