/** Staff and roles: who may do what, and (admins) adding staff. */
import { Alert, Box, Button, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { type FormEvent, useCallback, useState } from 'react';
import type { AdminApi, NewStaff } from '../../api/admin';
import { type Notify, LoadState, SimpleTable, errorText, useLoad } from './common';
import { ResetSecret } from './ResetSecret';

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
      {isAdmin && staff.data && <ResetSecret api={api} usernames={staff.data.map((m) => m.username)} notify={notify} />}
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
