/** An admin gives a member a new PIN or password: their sessions end, tills drop the old PIN at their next pull. */
import { Alert, Box, Button, MenuItem, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import type { AdminApi } from '../../api/admin';
import { type Notify, errorText } from './common';

export function ResetSecret({ api, usernames, notify }: { api: AdminApi; usernames: string[]; notify: Notify }) {
  const [username, setUsername] = useState('');
  const [kind, setKind] = useState<'pin' | 'password'>('pin');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const { sessions_ended } = await api.resetSecret(username, kind, value);
      notify(`New ${kind === 'pin' ? 'PIN' : 'password'} for ${username}; ${sessions_ended} session(s) ended`, 'success');
      setValue('');
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Box component="form" onSubmit={(e) => void submit(e)} sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }} aria-label="Reset a PIN or password">
      <Typography variant="h6" component="h3" sx={{ width: '100%' }}>
        Reset a PIN or password
      </Typography>
      <TextField select label="Member" required value={username} onChange={(e) => setUsername(e.target.value)} sx={{ minWidth: 160 }} slotProps={{ htmlInput: { 'data-testid': 'reset-username' } }}>
        {usernames.map((u) => (
          <MenuItem key={u} value={u} sx={{ minHeight: 48 }} data-testid={`reset-user-${u}`}>
            {u}
          </MenuItem>
        ))}
      </TextField>
      <TextField select label="What" value={kind} onChange={(e) => setKind(e.target.value as 'pin' | 'password')} sx={{ minWidth: 120 }}>
        <MenuItem value="pin" sx={{ minHeight: 48 }}>
          PIN
        </MenuItem>
        <MenuItem value="password" sx={{ minHeight: 48 }}>
          Password
        </MenuItem>
      </TextField>
      <TextField
        label={kind === 'pin' ? 'New PIN (managers and admins: 6 digits or more)' : 'New password'}
        type="password"
        required
        value={value}
        onChange={(e) => setValue(kind === 'pin' ? e.target.value.replace(/\D/g, '').slice(0, 8) : e.target.value)}
        sx={{ minWidth: 320 }}
        slotProps={{ htmlInput: { 'data-testid': 'reset-value', inputMode: kind === 'pin' ? 'numeric' : undefined, autoComplete: 'off' } }}
      />
      <Button type="submit" variant="contained" disabled={!username || !value} data-testid="reset-save">
        Reset
      </Button>
      {error && <Alert severity="error" sx={{ width: '100%' }}>{error}</Alert>}
    </Box>
  );
}
