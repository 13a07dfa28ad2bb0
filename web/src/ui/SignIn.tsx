/** Staff sign-in by PIN: against the server when it answers, else against the cached verifier. */
import { Alert, Box, Button, Grid, Paper, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { ApiError, NetworkError, type SessionOut, call } from '../api/client';
import { db, getMeta, setMeta } from '../data/db';
import type { Bootstrap, RoleGrant } from '../data/types';
import { useLive } from './hooks';
import { checkPinOffline, clearPinTries, offlinePinMessage, type PinTries } from './pin';
import { type Device, type Session, grantOf, offlineSession, sessionFrom } from './session';

/** Wrong offline PINs per member, kept in the till's IndexedDB (a reload does not reset them). */
const pinTries: PinTries = {
  get: (username) => getMeta<number>(db(), `pinTries:${username}`),
  set: (username, failures) => setMeta(db(), `pinTries:${username}`, failures),
};

export function SignIn({ device, onSignedIn }: { device: Device; onSignedIn: (session: Session, pin: string) => void }) {
  const staff = useLive(() => db().staff.toArray(), [], []);
  const [username, setUsername] = useState<string | null>(null);
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const member = staff.find((s) => s.username === username) ?? null;

  async function submit() {
    if (!member) return;
    setBusy(true);
    setError(null);
    try {
      const signed = await call<SessionOut>({ baseUrl: location.origin, deviceToken: device.deviceToken }, 'POST', '/api/auth/pin', { username: member.username, pin }, { timeoutMs: 5000 });
      const session = sessionFrom(signed);
      // Kept for offline sign-in on a till whose stored bootstrap has no `roles` yet.
      await setMeta(db(), `grant:${member.username}`, grantOf(session)).catch(() => undefined);
      await clearPinTries(pinTries, member.username).catch(() => undefined);
      onSignedIn(session, pin);
    } catch (e) {
      if (e instanceof ApiError && e.status < 500) {
        setError(e.status === 423 ? e.detail : 'Wrong PIN.');
      } else if (e instanceof NetworkError || e instanceof ApiError) {
        // No server: the PIN is checked against the verifier synced for offline sign-in.
        const answer = await checkPinOffline(member, pin, pinTries);
        if (answer.result === 'ok') {
          const [boot, lastGrant] = await Promise.all([getMeta<Bootstrap>(db(), 'bootstrap'), getMeta<RoleGrant>(db(), `grant:${member.username}`)]);
          const session = offlineSession(member, boot?.roles, lastGrant);
          if (session) onSignedIn(session, pin);
          else setError('This till does not yet know what you may do: sign in once while online.');
        } else {
          setError(offlinePinMessage(answer));
        }
      }
    } finally {
      setBusy(false);
      setPin('');
    }
  }

  const press = (key: string) => setPin((p) => (key === '⌫' ? p.slice(0, -1) : p.length < 8 ? p + key : p));

  return (
    <Box sx={{ display: 'grid', placeItems: 'center', p: 2 }}>
      <Paper sx={{ p: 3, width: '100%', maxWidth: 440 }}>
        <Typography variant="h5" gutterBottom>
          Who is at the till?
        </Typography>
        {staff.length === 0 && <Alert severity="info">Waiting for the staff list from the first sync…</Alert>}
        <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap" sx={{ mb: 2 }}>
          {staff.map((s) => (
            <Button key={s.id} variant={s.username === username ? 'contained' : 'outlined'} onClick={() => setUsername(s.username)} data-testid={`staff-${s.username}`}>
              {s.name}
            </Button>
          ))}
        </Stack>
        {member && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <input
              aria-label="PIN"
              data-testid="pin-input"
              type="password"
              inputMode="numeric"
              autoComplete="off"
              value={pin}
              onChange={(e) => setPin(e.target.value.replace(/\D/g, '').slice(0, 8))}
              style={{ fontSize: 28, width: '100%', letterSpacing: 8, textAlign: 'center', padding: 8, marginBottom: 12 }}
              autoFocus
            />
            <Grid container spacing={1}>
              {['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0'].map((key) => (
                <Grid size={4} key={key}>
                  <Button fullWidth variant="outlined" sx={{ fontSize: 22, minHeight: 56 }} onClick={() => press(key)}>
                    {key}
                  </Button>
                </Grid>
              ))}
              <Grid size={4}>
                <Button fullWidth type="submit" variant="contained" sx={{ minHeight: 56 }} disabled={busy || pin.length < 4} data-testid="pin-submit">
                  OK
                </Button>
              </Grid>
            </Grid>
            {error && (
              <Alert severity="error" sx={{ mt: 2 }}>
                {error}
              </Alert>
            )}
          </form>
        )}
      </Paper>
    </Box>
  );
}
