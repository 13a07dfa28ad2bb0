/** A manager approves, on the till, a discount over the cashier's limit: chosen, PIN entered, signed by the server when online. */
import { Alert, Button, MenuItem, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import { db } from '../../data/db';
import type { CartApproval } from '../../data/types';
import { requestApproval } from '../approval';
import { useLive } from '../hooks';
import { useTill } from '../session';

export function ManagerApproval({ onApproved }: { onApproved: (approval: CartApproval) => void }) {
  const { device, boot } = useTill();
  const staff = useLive(() => db().staff.toArray(), [], []);
  const managers = staff.filter((s) => s.role !== 'cashier' && (s.locations.length === 0 || s.locations.includes(device.locationCode)));
  const [username, setUsername] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const member = managers.find((m) => m.username === username) ?? null;

  async function approve() {
    if (!member) return;
    setBusy(true);
    setError(null);
    try {
      onApproved(await requestApproval({ baseUrl: location.origin, deviceToken: device.deviceToken }, member, pin, boot?.roles));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
      setPin('');
    }
  }

  return (
    <Stack spacing={1} sx={{ mt: 2 }}>
      <Stack direction="row" spacing={1}>
        <TextField select label="Manager" value={username} onChange={(e) => setUsername(e.target.value)} sx={{ minWidth: 160 }} slotProps={{ htmlInput: { 'data-testid': 'approval-manager' } }}>
          {managers.map((m) => (
            <MenuItem key={m.id} value={m.username}>
              {m.name}
            </MenuItem>
          ))}
        </TextField>
        <TextField label="Manager PIN" type="password" value={pin} onChange={(e) => setPin(e.target.value.replace(/\D/g, '').slice(0, 12))} slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'approval-pin' } }} />
        <Button variant="outlined" disabled={!member || pin.length < 4 || busy} onClick={() => void approve()} data-testid="approval-submit">
          Approve
        </Button>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}
