/** The store's shift-close rule, set by a manager: a blind count, and the difference a note must explain. */
import { Alert, Button, FormControlLabel, Stack, Switch, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import type { AdminApi } from '../../api/admin';
import { type Notify, errorText, useLoad } from './common';

const AMOUNT = /^\d+(\.\d{1,2})?$/;

export function ShiftRule({ api, notify }: { api: AdminApi; notify: Notify }) {
  const rule = useLoad(useCallback(() => api.closeRule(), [api]));
  const [blind, setBlind] = useState(false);
  const [asksNote, setAsksNote] = useState(false);
  const [allowance, setAllowance] = useState('0.00');
  useEffect(() => {
    if (!rule.data) return;
    setBlind(rule.data.blind_count);
    setAsksNote(rule.data.note_over !== null);
    setAllowance(rule.data.note_over ?? '0.00');
  }, [rule.data]);

  const save = async () => {
    try {
      await api.setCloseRule({ blind_count: blind, note_over: asksNote ? allowance : null });
      notify('Saved: tills follow it from their next sync', 'success');
      rule.reload();
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };

  return (
    <Stack spacing={2} sx={{ maxWidth: 560 }}>
      <Typography variant="h6" component="h2">
        Closing a shift
      </Typography>
      {rule.error && <Alert severity="error">{rule.error}</Alert>}
      <FormControlLabel
        control={<Switch checked={blind} onChange={(e) => setBlind(e.target.checked)} slotProps={{ input: { 'data-testid': 'rule-blind' } as object }} />}
        label="Blind count: whoever counts the drawer sees the expected cash only after committing the count"
      />
      <FormControlLabel
        control={<Switch checked={asksNote} onChange={(e) => setAsksNote(e.target.checked)} slotProps={{ input: { 'data-testid': 'rule-note' } as object }} />}
        label="Ask for a note when the count differs from the expected cash"
      />
      {asksNote && (
        <TextField
          label="Difference allowed without a note"
          value={allowance}
          onChange={(e) => setAllowance(e.target.value)}
          error={!AMOUNT.test(allowance)}
          helperText="0.00: any difference needs a note"
          slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'rule-allowance' } }}
        />
      )}
      <Button variant="contained" disabled={asksNote && !AMOUNT.test(allowance)} onClick={() => void save()} data-testid="rule-save" sx={{ alignSelf: 'flex-start' }}>
        Save
      </Button>
    </Stack>
  );
}
