/**
 * The register's shift: open with a float, cash in/out, the X report, and a close a manager
 * trusts: the drawer counted by note and coin (or as a total), a blind count when the manager's
 * rule asks for one (the expected cash shows only once the count is committed), a confirm step
 * with the difference in words, a note when the difference is over the allowance, and a Z report
 * to print at 80 mm. Works offline: the close is queued and the server checks it again.
 */
import { Box, Button, Paper, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { db, getMeta, setMeta, storageErrorMessage } from '../data/db';
import { type ShiftReport, closeShift, currentShift, moveCash, openShift, shiftReport } from '../data/sales';
import type { Bootstrap } from '../data/types';
import { type CloseRule, NO_RULE } from '../domain/cashCount';
import { dec } from '../domain/money';
import { flushSoon } from '../sync/client';
import { useLive } from './hooks';
import { formatMoney } from './moneyFormat';
import { actorOf, can, useTill } from './session';
import { AMOUNT, type Money } from './shift/amount';
import { CloseShift, type CommittedCount } from './shift/CloseShift';
import { ReportView } from './shift/ReportView';

export function ShiftScreen() {
  const { device, session, notify } = useTill();
  const database = db();
  const shift = useLive(() => currentShift(database, device.registerCode), [device.registerCode], null);
  const report = useLive(async () => (shift ? shiftReport(database, shift) : null), [shift], null as ShiftReport | null);
  const lastZ = useLive(() => getMeta<ShiftReport>(database, `lastZ:${device.registerCode}`), [device.registerCode], undefined);
  const boot = useLive(() => getMeta<Bootstrap>(database, 'bootstrap'), [], undefined);
  const committed = useLive(() => getMeta<CommittedCount | null>(database, `blindCount:${device.registerCode}`), [device.registerCode], null);
  const [float, setFloat] = useState('100.00');
  const [cash, setCash] = useState({ amount: '', reason: '' });

  const rule: CloseRule = boot?.shift_close ?? NO_RULE;
  const currency = boot?.locations.find((l) => l.code === device.locationCode)?.currency ?? 'USD';
  const locale = typeof boot?.store?.locale === 'string' ? boot.store.locale : 'en-US';
  const money: Money = (amount) => formatMoney(amount, currency, locale);

  const run = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      void flushSoon();
      notify(done, 'success');
      return true;
    } catch (e) {
      notify(e instanceof Error && !e.name.includes('Error') ? e.message : storageErrorMessage(e), 'error');
      return false;
    }
  };

  if (!shift) {
    return (
      <Box sx={{ maxWidth: 520, mx: 'auto', display: 'grid', gap: 2 }}>
        {lastZ && <ReportView report={lastZ} money={money} />}
        <Paper sx={{ p: 2 }} className="no-print">
          <Typography variant="h6" component="h2">
            Open the shift on {device.registerCode}
          </Typography>
          <TextField label={`Cash float in the drawer (${currency})`} value={float} onChange={(e) => setFloat(e.target.value)} fullWidth sx={{ my: 2 }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'float' } }} />
          <Button
            variant="contained"
            fullWidth
            disabled={!AMOUNT.test(float) || !can(session, 'shift_open')}
            onClick={() => void run(() => openShift(database, device.registerCode, session.name, dec(float), actorOf(session)), 'Shift opened')}
            data-testid="open-shift"
          >
            Open shift
          </Button>
        </Paper>
      </Box>
    );
  }

  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' }, maxWidth: 1000, mx: 'auto' }}>
      {report && <ReportView report={report} money={money} hideExpected={rule.blind_count} />}
      <Stack spacing={2}>
        <Paper sx={{ p: 2 }}>
          <Typography variant="h6" component="h2">
            Cash in / out
          </Typography>
          <Stack direction={{ xs: 'column', sm: 'row' }} spacing={1} sx={{ my: 1 }}>
            <TextField label="Amount" value={cash.amount} onChange={(e) => setCash((c) => ({ ...c, amount: e.target.value }))} slotProps={{ htmlInput: { inputMode: 'decimal' } }} />
            <TextField label="Reason" value={cash.reason} onChange={(e) => setCash((c) => ({ ...c, reason: e.target.value }))} sx={{ flex: 1 }} />
          </Stack>
          <Stack direction="row" spacing={1}>
            {(['in', 'out'] as const).map((kind) => (
              <Button
                key={kind}
                variant="outlined"
                fullWidth
                disabled={!AMOUNT.test(cash.amount) || dec(cash.amount).isZero() || !cash.reason || !can(session, 'cash_movement')}
                onClick={() =>
                  void run(async () => {
                    await moveCash(database, device.registerCode, kind, dec(cash.amount), cash.reason, actorOf(session));
                    setCash({ amount: '', reason: '' });
                  }, `Cash ${kind} recorded`)
                }
              >
                Cash {kind}
              </Button>
            ))}
          </Stack>
        </Paper>
        {report && (
          <CloseShift
            key={shift.openedAt}
            report={report}
            rule={rule}
            currency={currency}
            money={money}
            committed={committed ?? null}
            mayClose={can(session, 'shift_close')}
            onCommit={(count) => setMeta(database, `blindCount:${device.registerCode}`, count)}
            onClose={(counted, pieces, note) =>
              run(() => closeShift(database, device.registerCode, counted, actorOf(session), { currency, pieces, note }), 'Shift closed: the Z report is on this page')
            }
          />
        )}
      </Stack>
    </Box>
  );
}
