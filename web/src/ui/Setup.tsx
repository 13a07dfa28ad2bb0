/** First run: a manager signs in with a password, picks the register, and the till registers itself and syncs. */
import { Alert, Box, Button, LinearProgress, Paper, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { ApiError, type SessionOut, call } from '../api/client';
import { db, setMeta } from '../data/db';
import type { Bootstrap } from '../data/types';
import type { PullProgress } from '../sync/engine';
import type { Device } from './session';

export function Setup({ onDone, progress }: { onDone: (device: Device, session: SessionOut) => void; progress: PullProgress | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [session, setSession] = useState<SessionOut | null>(null);
  const [boot, setBoot] = useState<Bootstrap | null>(null);
  const [register, setRegister] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const base = { baseUrl: location.origin };

  async function signIn(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const signed = await call<SessionOut>(base, 'POST', '/api/auth/sign-in', { username, password });
      const bootstrap = await call<Bootstrap>({ ...base, token: signed.token }, 'GET', '/api/sync/bootstrap');
      setSession(signed);
      setBoot(bootstrap);
      setRegister(bootstrap.registers[0]?.code ?? '');
    } catch (e) {
      setError(e instanceof ApiError ? e.detail : 'The server cannot be reached: setting up a till needs the network once.');
    } finally {
      setBusy(false);
    }
  }

  async function registerTill() {
    if (!session || !boot) return;
    setBusy(true);
    setError(null);
    try {
      const chosen = boot.registers.find((r) => r.code === register)!;
      const answer = await call<{ device_id: string; device_token: string; receipt_series?: string }>({ ...base, token: session.token }, 'POST', '/api/devices', {
        name: `${chosen.name} (${navigator.userAgent.slice(0, 60)})`,
        register_code: chosen.code,
      });
      const device: Device = { deviceId: answer.device_id, deviceToken: answer.device_token, registerCode: chosen.code, locationCode: chosen.location_code };
      if (answer.receipt_series) {
        // The till's own series on the register, new at every set-up: it starts at 1 and no
        // other till (online or holding offline sales) ever makes one of its numbers.
        await setMeta(db(), `receiptSeries:${chosen.code}`, answer.receipt_series);
        await setMeta(db(), `receiptSeq:${chosen.code}`, 0);
      } else {
        // A server without series: go on from the register's newest receipt number.
        const last = await call<{ receipt_number: string }[]>({ ...base, token: session.token }, 'GET', `/api/orders?register_code=${encodeURIComponent(chosen.code)}&limit=200`);
        const lastNumber = Math.max(0, ...last.map((o) => Number(o.receipt_number.slice(chosen.code.length + 1)) || 0));
        await setMeta(db(), `receiptSeq:${chosen.code}`, lastNumber);
      }
      await setMeta(db(), 'device', device);
      await setMeta(db(), 'bootstrap', boot);
      // Signed in again as this till: the server notes the manager signed in on it, so it sends
      // the till her offline PIN verifier (it sends none of a member who never signed in here).
      const onTill = await call<SessionOut>({ ...base, deviceToken: device.deviceToken }, 'POST', '/api/auth/sign-in', { username, password }).catch(() => session);
      onDone(device, onTill);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 403 ? 'Only a manager can set up a till: ask a manager to sign in here.' : e instanceof ApiError ? e.detail : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 2, bgcolor: 'grey.100' }}>
      <Paper sx={{ p: 3, width: '100%', maxWidth: 420 }}>
        <Typography variant="h5" gutterBottom>
          Set up this till
        </Typography>
        {progress && (
          <Box sx={{ mb: 2 }} data-testid="first-sync">
            <Typography variant="body2">First sync: {progress.dataset} ({progress.items} items)</Typography>
            <LinearProgress variant="determinate" value={Math.min(100, (100 * progress.cursor) / Math.max(1, progress.target))} />
          </Box>
        )}
        {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
        {!session ? (
          <form onSubmit={(event) => void signIn(event)}>
            <Stack spacing={2}>
              <TextField label="Manager username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus name="username" />
              <TextField label="Password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} name="password" />
              <Button type="submit" variant="contained" size="large" disabled={busy || !username || !password}>
                Sign in
              </Button>
            </Stack>
          </form>
        ) : (
          <Stack spacing={2}>
            <Typography>Signed in as {session.staff.name}. Which register is this?</Typography>
            <TextField
              select
              label="Register"
              value={register}
              onChange={(e) => setRegister(e.target.value)}
              slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'register-select' } }}
            >
              {boot?.registers.map((r) => (
                <option key={r.code} value={r.code}>
                  {r.code}: {r.name}
                </option>
              ))}
            </TextField>
            <Button variant="contained" size="large" onClick={() => void registerTill()} disabled={busy || !register}>
              Use this register
            </Button>
          </Stack>
        )}
      </Paper>
    </Box>
  );
}
