/** The back office's lists: locations and registers, staff and roles, webhooks, dead letters, flags. */
import {
  Alert,
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  MenuItem,
  Stack,
  Switch,
  TextField,
  Typography,
} from '@mui/material';
import { type FormEvent, useCallback, useState } from 'react';
import type { AdminApi, DeadLetter, NewStaff, Webhook } from '../../api/admin';
import { LoadState, SimpleTable, errorText, useLoad, when } from './common';

type Notify = (message: string, severity?: 'success' | 'info' | 'warning' | 'error') => void;

export function Locations({ api }: { api: AdminApi }) {
  const state = useLoad(useCallback(() => api.locations(), [api]));
  return (
    <LoadState state={state}>
      {(locations) => (
        <Stack spacing={3}>
          {locations.map((loc) => (
            <Box key={loc.code} data-testid={`location-${loc.code}`}>
              <Typography variant="h6" component="h3">
                {loc.name} ({loc.code})
              </Typography>
              <Typography variant="body2" color="text.secondary">
                Magento source {loc.source_code ?? '–'} · stock {loc.stock_id ?? '–'} · {loc.timezone ?? 'server time'}
              </Typography>
              <SimpleTable
                caption={`Registers at ${loc.name}`}
                head={['Register', 'Name', 'Devices']}
                rows={loc.registers.map((r) => [
                  r.code,
                  r.name,
                  r.devices.length === 0
                    ? 'none'
                    : r.devices.map((d) => (
                        <Box key={d.id}>
                          {d.name ?? d.id} · since {when(d.created_at)} {d.revoked && <Chip size="small" label="revoked" />}
                        </Box>
                      )),
                ])}
              />
            </Box>
          ))}
        </Stack>
      )}
    </LoadState>
  );
}

const EMPTY_STAFF: NewStaff = { username: '', name: '', role: 'cashier', password: '', pin: '', locations: [] };

export function Staff({ api, isAdmin, notify }: { api: AdminApi; isAdmin: boolean; notify: Notify }) {
  const staff = useLoad(useCallback(() => api.staff(), [api]));
  const roles = useLoad(useCallback(() => api.roles(), [api]));
  const [form, setForm] = useState<NewStaff>(EMPTY_STAFF);
  const [locations, setLocations] = useState('');
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const locs = locations.split(',').map((l) => l.trim()).filter(Boolean);
      await api.addStaff({ ...form, locations: locs });
      notify(`${form.name} can now sign in`, 'success');
      setForm(EMPTY_STAFF);
      setLocations('');
      setError(null);
      staff.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const field = (key: 'username' | 'name' | 'password' | 'pin', label: string, type = 'text') => (
    <TextField
      label={label}
      type={type}
      required
      value={form[key]}
      onChange={(e) => setForm((f) => ({ ...f, [key]: e.target.value }))}
      slotProps={{ htmlInput: { 'data-testid': `staff-${key}`, inputMode: key === 'pin' ? 'numeric' : undefined } }}
    />
  );
  return (
    <Stack spacing={3}>
      <LoadState state={staff}>
        {(members) => (
          <SimpleTable
            caption="Staff"
            head={['Username', 'Name', 'Role', 'Locations', 'Discount limit', 'Active']}
            rows={members.map((m) => [m.username, m.name, m.role, m.locations.join(', ') || 'all', `${m.discount_limit_percent} %`, m.active ? 'yes' : 'no'])}
            testId="staff-table"
          />
        )}
      </LoadState>
      {isAdmin && (
        <Box component="form" onSubmit={(e) => void add(e)} sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }} aria-label="Add a member of staff">
          <Typography variant="h6" component="h3" sx={{ width: '100%' }}>
            Add a member of staff
          </Typography>
          {field('username', 'Username')}
          {field('name', 'Name')}
          <TextField select label="Role" value={form.role} onChange={(e) => setForm((f) => ({ ...f, role: e.target.value as NewStaff['role'] }))} sx={{ minWidth: 140 }}>
            {(['cashier', 'manager', 'admin'] as const).map((r) => (
              <MenuItem key={r} value={r} sx={{ minHeight: 48 }}>
                {r}
              </MenuItem>
            ))}
          </TextField>
          {field('password', 'Password', 'password')}
          {field('pin', 'PIN', 'password')}
          <TextField
            label="Locations (codes, comma-separated; empty = all)"
            value={locations}
            onChange={(e) => setLocations(e.target.value)}
            sx={{ minWidth: 320 }}
            slotProps={{ htmlInput: { 'data-testid': 'staff-locations' } }}
          />
          <Button type="submit" variant="contained" data-testid="staff-add">
            Add
          </Button>
          {error && <Alert severity="error" sx={{ width: '100%' }}>{error}</Alert>}
        </Box>
      )}
      <Typography variant="h6" component="h3">
        Roles
      </Typography>
      <LoadState state={roles}>
        {(list) => (
          <SimpleTable
            caption="Roles"
            head={['Role', 'Discount limit', 'Permissions']}
            rows={list.map((r) => [r.role, `${r.discount_limit_percent} %`, r.permissions.join(', ')])}
          />
        )}
      </LoadState>
    </Stack>
  );
}

export function Webhooks({ api, notify }: { api: AdminApi; notify: Notify }) {
  const state = useLoad(useCallback(() => api.webhooks(), [api]));
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [topics, setTopics] = useState('*');
  const [made, setMade] = useState<Webhook | null>(null);
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const endpoint = await api.addWebhook({ name, url, topics: topics.split(',').map((t) => t.trim()).filter(Boolean) });
      setMade(endpoint);
      setName('');
      setUrl('');
      setError(null);
      state.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const toggle = async (endpoint: Webhook) => {
    try {
      await api.switchWebhook(endpoint.id, !endpoint.active);
      notify(`${endpoint.name} switched ${endpoint.active ? 'off' : 'on'}`, 'success');
      state.reload();
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };
  return (
    <Stack spacing={3}>
      <LoadState state={state}>
        {(endpoints) => (
          <SimpleTable
            caption="Webhook endpoints"
            head={['Name', 'URL', 'Topics', 'Queue', 'On']}
            rows={endpoints.map((w) => [
              w.name,
              <Box key="url" sx={{ wordBreak: 'break-all' }}>{w.url}</Box>,
              w.topics.join(', '),
              w.queue,
              <FormControlLabel
                key="on"
                control={<Switch checked={w.active} onChange={() => void toggle(w)} slotProps={{ input: { 'aria-label': `${w.name} active` } }} />}
                label={w.active ? 'on' : 'off'}
              />,
            ])}
            testId="webhook-table"
          />
        )}
      </LoadState>
      <Box component="form" onSubmit={(e) => void add(e)} sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }} aria-label="Add a webhook endpoint">
        <Typography variant="h6" component="h3" sx={{ width: '100%' }}>
          Add an endpoint
        </Typography>
        <TextField label="Name" required value={name} onChange={(e) => setName(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'webhook-name' } }} />
        <TextField label="URL" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} sx={{ minWidth: 320 }} slotProps={{ htmlInput: { 'data-testid': 'webhook-url' } }} />
        <TextField
          label="Topics (comma-separated, * for all)"
          required
          value={topics}
          onChange={(e) => setTopics(e.target.value)}
          sx={{ minWidth: 280 }}
          slotProps={{ htmlInput: { 'data-testid': 'webhook-topics' } }}
        />
        <Button type="submit" variant="contained" data-testid="webhook-add">
          Add
        </Button>
        {error && <Alert severity="error" sx={{ width: '100%' }}>{error}</Alert>}
      </Box>
      <Dialog open={made !== null} onClose={() => setMade(null)} aria-labelledby="secret-title">
        <DialogTitle id="secret-title">Signing secret for {made?.name}</DialogTitle>
        <DialogContent>
          <Typography gutterBottom>Copy it now: it is shown only this once.</Typography>
          <Box component="code" sx={{ display: 'block', p: 1, bgcolor: 'grey.100', wordBreak: 'break-all' }} data-testid="webhook-secret">
            {made?.secret}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setMade(null)}>Done</Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}

export function DeadLetters({ api, notify }: { api: AdminApi; notify: Notify }) {
  const state = useLoad(useCallback(() => api.deadLetters(), [api]));
  const [open, setOpen] = useState<DeadLetter | null>(null);
  const act = async (letter: DeadLetter, action: 'replay' | 'discard') => {
    try {
      if (action === 'replay') await api.replay(letter.id);
      else await api.discard(letter.id);
      notify(`Dead letter ${letter.id} ${action === 'replay' ? 'sent to its queue again' : 'discarded'}`, 'success');
      setOpen(null);
      state.reload();
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };
  const inspect = async (letter: DeadLetter) => {
    try {
      setOpen(await api.deadLetter(letter.id));
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };
  return (
    <>
      <LoadState state={state}>
        {(letters) => (
          <SimpleTable
            caption="Dead letters"
            head={['Id', 'Queue', 'Topic', 'Tries', 'Last error', 'Dead since', '']}
            rows={letters.map((l) => [
              l.id,
              l.queue,
              l.topic,
              l.attempts,
              <Box key="e" sx={{ maxWidth: 320, overflow: 'hidden', textOverflow: 'ellipsis' }}>{l.last_error ?? '–'}</Box>,
              when(l.dead_at),
              <Stack key="a" direction="row" spacing={1}>
                <Button onClick={() => void inspect(l)}>Inspect</Button>
                <Button onClick={() => void act(l, 'replay')}>Replay</Button>
                <Button color="error" onClick={() => void act(l, 'discard')}>
                  Discard
                </Button>
              </Stack>,
            ])}
            testId="dead-letters"
          />
        )}
      </LoadState>
      <Dialog open={open !== null} onClose={() => setOpen(null)} maxWidth="md" fullWidth aria-labelledby="letter-title">
        <DialogTitle id="letter-title">
          Dead letter {open?.id} · {open?.topic}
        </DialogTitle>
        <DialogContent>
          <Typography gutterBottom>
            Queue {open?.queue} · message {open?.message_id} · {open?.attempts} tries · first sent {when(open?.created_at ?? null)}
          </Typography>
          <Typography gutterBottom color="error">
            {open?.last_error}
          </Typography>
          <Box component="pre" sx={{ p: 1, bgcolor: 'grey.100', overflow: 'auto', maxHeight: 360 }}>
            {JSON.stringify(open?.payload, null, 2)}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(null)}>Close</Button>
          {open && <Button onClick={() => void act(open, 'replay')}>Replay</Button>}
          {open && (
            <Button color="error" onClick={() => void act(open, 'discard')}>
              Discard
            </Button>
          )}
        </DialogActions>
      </Dialog>
    </>
  );
}

const FLAG_KINDS = [
  ['', 'All flags'],
  ['oversold', 'Oversold'],
  ['totals_mismatch', 'Totals mismatch'],
  ['price_differs', 'Price differs'],
  ['clock_skew', 'Till clock off'],
] as const;

export function Flags({ api }: { api: AdminApi }) {
  const [kind, setKind] = useState('');
  const state = useLoad(useCallback(() => api.flags(kind || undefined), [api, kind]));
  return (
    <Stack spacing={2}>
      <TextField select label="Show" value={kind} onChange={(e) => setKind(e.target.value)} sx={{ maxWidth: 280 }} slotProps={{ select: { native: true } }}>
        {FLAG_KINDS.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </TextField>
      <Typography variant="body2" color="text.secondary">
        Sales the server accepted but flagged while syncing, at your locations.
      </Typography>
      <LoadState state={state}>
        {(flags) => (
          <SimpleTable
            caption="Flagged sales"
            head={['Receipt', 'Location', 'Flag', 'Detail', 'When']}
            rows={flags.map((f) => [
              f.receipt_number,
              f.location_code,
              <Chip key="f" label={f.flag.replaceAll('_', ' ')} color={f.flag === 'oversold' || f.flag === 'totals_mismatch' ? 'warning' : 'default'} />,
              <Box key="d" component="code" sx={{ fontSize: 12, wordBreak: 'break-all' }}>{JSON.stringify(f.detail)}</Box>,
              when(f.created_at),
            ])}
            testId="flags-table"
          />
        )}
      </LoadState>
    </Stack>
  );
}
