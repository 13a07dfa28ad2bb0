/** Find a customer for the sale (name, e-mail or phone words), or create one on this till. */
import { Button, Dialog, DialogActions, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Stack, TextField } from '@mui/material';
import { useState } from 'react';
import { db, storageErrorMessage } from '../../data/db';
import { createCustomer } from '../../data/sales';
import type { Customer } from '../../data/types';
import { flushSoon } from '../../sync/client';
import { useLive } from '../hooks';
import { actorOf, can, useTill } from '../session';

const digitsOf = (text: string | null) => (text ?? '').replace(/\D/g, '');

/** A phone number as typed, in any formatting: "555-0100", "(212) 555-0100", "+1 212 555 0100". */
const PHONE_QUERY = /^[\d\s()+.-]+$/;

/**
 * Customers whose phone has these digits, whatever either side's formatting: the typed digits
 * anywhere in the stored number, or the stored number at the end of a longer typed one (a
 * country code the till did not store). Phones are not in the word index: a scan of customers.
 */
export async function customersByPhone(typed: string, limit = 20): Promise<Customer[]> {
  const wanted = digitsOf(typed);
  if (wanted.length < 3) return [];
  return db()
    .customers.filter((c) => {
      const phone = digitsOf(c.phone);
      return phone.length > 0 && (phone.includes(wanted) || (phone.length >= 7 && wanted.endsWith(phone)));
    })
    .limit(limit)
    .toArray();
}

export function CustomerDialog({ onClose, onPick }: { onClose: () => void; onPick: (c: Customer | null) => void }) {
  const { device, session, notify } = useTill();
  const [query, setQuery] = useState('');
  const [creating, setCreating] = useState(false);
  const [form, setForm] = useState({ firstname: '', lastname: '', email: '', phone: '' });
  const found = useLive(
    async () => {
      if (PHONE_QUERY.test(query.trim())) return customersByPhone(query);
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length === 0) return [];
      const [first, ...rest] = words;
      const rows = await db().customers.where('words').startsWith(first).limit(60).toArray();
      const unique = [...new Map(rows.map((r) => [r.key, r])).values()];
      return unique.filter((c) => rest.every((w) => c.words?.some((x) => x.startsWith(w)))).slice(0, 20);
    },
    [query],
    [] as Customer[],
  );
  async function create() {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.email) || !form.firstname || !form.lastname) {
      notify('A first name, last name and a valid e-mail are needed', 'warning');
      return;
    }
    try {
      const customer = await createCustomer(db(), device.registerCode, { ...form, phone: form.phone || null, groupId: 1 }, actorOf(session));
      void flushSoon();
      onPick(customer);
    } catch (e) {
      notify(storageErrorMessage(e), 'error');
    }
  }
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Customer</DialogTitle>
      <DialogContent>
        {!creating ? (
          <>
            <TextField fullWidth autoFocus label="Search name, e-mail or phone" value={query} onChange={(e) => setQuery(e.target.value)} sx={{ mt: 1 }} />
            <List>
              {found.map((c) => (
                <ListItemButton key={c.key} onClick={() => onPick(c)}>
                  <ListItemText primary={`${c.firstname} ${c.lastname}`} secondary={`${c.email}${c.phone ? ` · ${c.phone}` : ''}${c.id === null ? ' · not yet sent' : ''}`} />
                </ListItemButton>
              ))}
            </List>
          </>
        ) : (
          <Stack spacing={1} sx={{ mt: 1 }}>
            {(['firstname', 'lastname', 'email', 'phone'] as const).map((field) => (
              <TextField key={field} label={field} value={form[field]} onChange={(e) => setForm((f) => ({ ...f, [field]: e.target.value }))} />
            ))}
          </Stack>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onPick(null)}>No customer</Button>
        {creating ? (
          <Button variant="contained" onClick={() => void create()} disabled={!can(session, 'customer_create')}>
            Save customer
          </Button>
        ) : (
          <Button onClick={() => setCreating(true)}>New customer</Button>
        )}
      </DialogActions>
    </Dialog>
  );
}
