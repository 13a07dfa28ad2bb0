/**
 * The audit log (admins): who did what, when and where, newest first. Filters by time, member
 * of staff, kind of action, location and register; "Load more" asks for the next older page;
 * "Export CSV" downloads what the filters match, as the server writes it.
 */
import { Alert, Box, Button, Chip, Stack, TextField, Typography } from '@mui/material';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import type { AdminApi, AuditEntry, AuditFilters, LocationRow, StaffRow } from '../../api/admin';
import { dec, moneyStr } from '../../domain/money';
import { SimpleTable, errorText, when } from './common';

/** Families of actions, as the filter offers them (the server matches a family's members). */
const ACTIONS: [string, string][] = [
  ['', 'Every action'],
  ['refund', 'Refunds'],
  ['discount', 'Discounts over a limit'],
  ['price', 'Prices (typed at a till, changed, planned)'],
  ['cash', 'Cash in and out'],
  ['shift', 'Shifts opened and closed'],
  ['stock', 'Stock received, moved, damaged, counted'],
  ['signin', 'Sign-ins, failures, lock-outs'],
  ['signout', 'Sign-outs'],
  ['device', 'Tills registered and revoked'],
  ['staff', 'Staff created, changed, deactivated'],
  ['webhook', 'Webhooks'],
  ['report', 'Saved reports'],
  ['job', 'Scheduled jobs'],
  ['deadletter', 'Dead letters replayed and discarded'],
  ['store', 'Store restored from a backup'],
  ['audit', 'Audit log exported'],
];

const money = (value: unknown) => (typeof value === 'string' && value !== '' ? `$${moneyStr(dec(value))}` : '–');
/** A detail value as text: strings as they are, numbers and booleans printed, anything else as JSON. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** What happened, in a sentence, and who sent it when another session did (a till's queued action). */
function summary(entry: AuditEntry): string {
  const d = entry.detail as { sent_by?: { session_username?: string }; unverified?: unknown };
  const session = d.sent_by?.session_username;
  const sentBy = session && session !== entry.username ? `; sent by ${session}'s session` : '';
  return `${happened(entry)}${d.unverified ? ' (switched in by an offline PIN: not confirmed by the server)' : ''}${sentBy}`;
}

/** What happened, in a sentence; amounts in dollars as everywhere in the till. */
function happened(entry: AuditEntry): string {
  const d = entry.detail as Record<string, unknown>;
  const receipt = d.receipt_number ? `receipt ${text(d.receipt_number)}` : '';
  const approval = d.approved_by ? `; approved by ${text((d.approved_by as { username?: string }).username ?? 'an unknown member')}${d.approved ? '' : ' (beyond their own limit)'}` : '';
  switch (entry.action.split('.')[0]) {
    case 'cash':
      return `${money(d.amount)} ${entry.action === 'cash.in' ? 'into' : 'out of'} the drawer: ${text(d.reason)}`;
    case 'refund':
      return `${money(d.total)} refunded by ${text(d.method)}, ${receipt}${d.reason ? `: ${text(d.reason)}` : ''}`;
    case 'discount':
      return `${text(d.percent)}% off, over the limit of ${text(d.limit)}%, ${receipt}${approval}`;
    case 'shift':
      return entry.action === 'shift.opened'
        ? `opened with a float of ${money(d.float)}`
        : `closed: counted ${money(d.counted)}, expected ${money(d.expected)}, difference ${money(d.difference)}`;
    case 'stock':
      return `${text(d.sku)}: ${text(d.reason)} ${text(d.quantity)} at ${text(d.source_code)}${d.to_source_code ? ` → ${text(d.to_source_code)}` : ''}${d.note ? ` (${text(d.note)})` : ''}`;
    case 'signin':
      if (entry.action === 'signin') return d.pin ? 'signed in with a PIN' : 'signed in with the password';
      if (entry.action === 'signin.locked_out') return `locked out for ${text(d.minutes)} minutes after ${text(d.failures)} failures`;
      return `sign-in refused: ${text(d.reason)}`;
  }
  if (entry.action === 'price.override') {
    const lines = Object.entries((d.lines ?? {}) as Record<string, { charged: string; catalog: string }>);
    return `${receipt}: ${lines.map(([sku, l]) => `${sku} at ${money(l.charged)} (catalog ${money(l.catalog)})`).join(', ')}${approval}`;
  }
  if (entry.action === 'sale.unverified_seller') return `${receipt}: sold by a member switched in by an offline PIN, not confirmed by the server`;
  if (entry.action === 'approval.unverified') return `${receipt}: an approval without the server's proof (${text(d.reason)})`;
  if (entry.action === 'approval.given') return `approved an exception on this till, until ${text(d.expires_at)}`;
  if (entry.action === 'price.changed') return `${text(d.sku)}: price ${money(d.price)}${d.special_price ? `, special ${money(d.special_price)}` : ''}`;
  return JSON.stringify(Object.fromEntries(Object.entries(d).filter(([key]) => key !== 'via' && key !== 'sent_by')));
}

function who(entry: AuditEntry): string {
  if (entry.username) return entry.username;
  const via = (entry.detail as { via?: string }).via;
  return via ? `command line: ${via}` : '–';
}

function where(entry: AuditEntry): string {
  return [entry.location_code, entry.register_code, entry.device_id ? `till ${entry.device_id.slice(0, 8)}` : null].filter(Boolean).join(' · ') || '–';
}

/** A `datetime-local` value (the browser's zone) as an ISO moment the server reads. */
const moment = (local: string) => (local ? new Date(local).toISOString() : undefined);

export default function Audit({ api }: { api: AdminApi }) {
  const [form, setForm] = useState({ from: '', to: '', staffId: '', action: '', location: '', register: '' });
  const [filters, setFilters] = useState<AuditFilters>({});
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [staff, setStaff] = useState<StaffRow[]>([]);
  const [locations, setLocations] = useState<LocationRow[]>([]);

  useEffect(() => {
    api.staff().then(setStaff, () => setStaff([]));
    api.locations().then(setLocations, () => setLocations([]));
  }, [api]);

  const load = useCallback(
    async (wanted: AuditFilters, before: number | null) => {
      setBusy(true);
      try {
        const page = await api.audit(wanted, before);
        setEntries((shown) => (before === null ? page.entries : [...shown, ...page.entries]));
        setNext(page.next_before_id);
        setError(null);
      } catch (e) {
        setError(errorText(e));
      } finally {
        setBusy(false);
      }
    },
    [api],
  );

  useEffect(() => {
    void load(filters, null);
  }, [filters, load]);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...form, from: moment(form.from), to: moment(form.to) });
  };

  const exportCsv = async () => {
    try {
      const blob = await api.auditCsv(filters);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'till-audit.csv';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (e) {
      setError(errorText(e));
    }
  };

  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const registers = locations.filter((l) => !form.location || l.code === form.location).flatMap((l) => l.registers.map((r) => r.code));
  return (
    <Stack spacing={2}>
      <Typography variant="body2" color="text.secondary">
        Every refund, discount over a limit, typed price, cash movement, stock change, sign-in, and change to staff, tills, webhooks and reports. Lines are only ever added: the
        database refuses to change or remove one.
      </Typography>
      <Box component="form" onSubmit={apply} sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }} aria-label="Filter the audit log">
        <TextField label="From" type="datetime-local" value={form.from} onChange={set('from')} slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'audit-from' } }} />
        <TextField label="To" type="datetime-local" value={form.to} onChange={set('to')} slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'audit-to' } }} />
        <TextField select label="Staff" value={form.staffId} onChange={set('staffId')} sx={{ minWidth: 160 }} slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'audit-staff' } }}>
          <option value="">Everyone</option>
          {staff.map((m) => (
            <option key={m.id} value={String(m.id)}>
              {m.username}
            </option>
          ))}
        </TextField>
        <TextField select label="Action" value={form.action} onChange={set('action')} sx={{ minWidth: 220 }} slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'audit-action' } }}>
          {ACTIONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </TextField>
        <TextField select label="Location" value={form.location} onChange={(e) => setForm((f) => ({ ...f, location: e.target.value, register: '' }))} sx={{ minWidth: 140 }} slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'audit-location' } }}>
          <option value="">All</option>
          {locations.map((l) => (
            <option key={l.code} value={l.code}>
              {l.code}
            </option>
          ))}
        </TextField>
        <TextField select label="Register" value={form.register} onChange={set('register')} sx={{ minWidth: 120 }} slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'audit-register' } }}>
          <option value="">All</option>
          {registers.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </TextField>
        <Button type="submit" variant="contained" data-testid="audit-apply">
          Show
        </Button>
        <Button variant="outlined" onClick={() => void exportCsv()} data-testid="audit-export">
          Export CSV
        </Button>
      </Box>
      {error && <Alert severity="error">{error}</Alert>}
      <SimpleTable
        caption="Audit log"
        head={['When', 'Who', 'Where', 'Action', 'What']}
        rows={entries.map((e) => [
          <Box key="w" sx={{ whiteSpace: 'nowrap' }}>{when(e.at)}</Box>,
          who(e),
          where(e),
          <Chip key="a" size="small" label={e.action} color={e.action.endsWith('failed') || e.action.endsWith('locked_out') ? 'warning' : 'default'} />,
          summary(e),
        ])}
        testId="audit-table"
        rowTestId="audit-row"
      />
      <Box>
        {next !== null && (
          <Button onClick={() => void load(filters, next)} disabled={busy} data-testid="audit-more">
            Load more
          </Button>
        )}
        {busy && <Typography color="text.secondary">Loading…</Typography>}
      </Box>
    </Stack>
  );
}
