/** A member changes their own PIN or password (online: the server checks the current one). */
import { Alert, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, TextField, ToggleButton, ToggleButtonGroup } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { ApiError, call } from '../api/client';
import type { Session } from './session';

type Kind = 'pin' | 'password';

/** The shortest PIN the member's role may have: beyond a cashier's role, 6 digits (the server enforces it). */
export function fewestPinDigits(role: string): number {
  return role === 'cashier' ? 4 : 6;
}

export function MySecrets({ session }: { session: Session }) {
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<Kind>('pin');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [message, setMessage] = useState<{ text: string; ok: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const fewest = fewestPinDigits(session.role);

  const reset = (k: Kind = kind) => {
    setKind(k);
    setCurrent('');
    setNext('');
    setAgain('');
    setMessage(null);
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== again) return setMessage({ text: `The two new ${kind === 'pin' ? 'PINs' : 'passwords'} differ.`, ok: false });
    setBusy(true);
    try {
      const creds = { baseUrl: location.origin, token: session.token };
      if (kind === 'pin') await call(creds, 'POST', '/api/auth/change-pin', { current_pin: current, new_pin: next });
      else await call(creds, 'POST', '/api/auth/change-password', { current_password: current, new_password: next });
      reset();
      setMessage({ text: kind === 'pin' ? 'PIN changed. Tills take the new one at their next sync.' : 'Password changed. Your other sessions were signed out.', ok: true });
    } catch (e) {
      setMessage({ text: e instanceof ApiError ? e.detail : 'The server cannot be reached: changing a PIN or password needs the network.', ok: false });
    } finally {
      setBusy(false);
    }
  }

  const digits = (value: string) => (kind === 'pin' ? value.replace(/\D/g, '').slice(0, 8) : value);
  const field = (label: string, value: string, set: (v: string) => void, testId: string) => (
    <TextField
      label={label}
      type="password"
      required
      value={value}
      onChange={(e) => set(digits(e.target.value))}
      slotProps={{ htmlInput: { 'data-testid': testId, inputMode: kind === 'pin' ? 'numeric' : undefined, autoComplete: 'off' } }}
    />
  );

  return (
    <>
      <Button color="inherit" onClick={() => setOpen(true)} disabled={!session.token} data-testid="my-secrets" title={session.token ? undefined : 'Needs the network'}>
        PIN
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} fullWidth maxWidth="xs">
        <form onSubmit={(e) => void submit(e)}>
          <DialogTitle>Change my {kind === 'pin' ? 'PIN' : 'password'}</DialogTitle>
          <DialogContent>
            <Stack spacing={2} sx={{ pt: 1 }}>
              <ToggleButtonGroup exclusive value={kind} onChange={(_, k: Kind | null) => k && reset(k)} size="small">
                <ToggleButton value="pin">PIN</ToggleButton>
                <ToggleButton value="password" data-testid="my-secrets-password">
                  Password
                </ToggleButton>
              </ToggleButtonGroup>
              {field(kind === 'pin' ? 'Current PIN' : 'Current password', current, setCurrent, 'secret-current')}
              {field(kind === 'pin' ? `New PIN (${fewest} to 8 digits)` : 'New password (8 characters or more)', next, setNext, 'secret-new')}
              {field(kind === 'pin' ? 'New PIN again' : 'New password again', again, setAgain, 'secret-again')}
              {message && (
                <Alert severity={message.ok ? 'success' : 'error'} data-testid="secret-message">
                  {message.text}
                </Alert>
              )}
            </Stack>
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setOpen(false)}>Close</Button>
            <Button type="submit" variant="contained" disabled={busy || !current || !next} data-testid="secret-save">
              Change
            </Button>
          </DialogActions>
        </form>
      </Dialog>
    </>
  );
}
