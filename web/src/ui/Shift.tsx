/** The register's shift: open with a float, cash in/out, X report, close with counted cash (Z report). */
import { Alert, Box, Button, Paper, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { db, getMeta, storageErrorMessage } from '../data/db';
import { type ShiftReport, closeShift, currentShift, moveCash, openShift, shiftReport } from '../data/sales';
import { dec } from '../domain/money';
import { flushSoon } from '../sync/client';
import { useLive } from './hooks';
import { actorOf, can, useTill } from './session';

const AMOUNT = /^\d+(\.\d{1,2})?$/;

export function ShiftScreen() {
  const { device, session, notify } = useTill();
  const database = db();
  const shift = useLive(() => currentShift(database, device.registerCode), [device.registerCode], null);
  const report = useLive(async () => (shift ? shiftReport(database, shift) : null), [shift], null as ShiftReport | null);
  const lastZ = useLive(() => getMeta<ShiftReport>(database, `lastZ:${device.registerCode}`), [device.registerCode], undefined);
  const [float, setFloat] = useState('100.00');
  const [cash, setCash] = useState({ amount: '', reason: '' });
  const [counted, setCounted] = useState('');

  const run = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      void flushSoon();
      notify(done, 'success');
    } catch (e) {
      notify(e instanceof Error && !e.name.includes('Error') ? e.message : storageErrorMessage(e), 'error');
    }
  };

  if (!shift) {
    return (
      <Box sx={{ maxWidth: 520, mx: 'auto' }}>
        <Paper sx={{ p: 2 }}>
          <Typography variant="h6">Open the shift on {device.registerCode}</Typography>
          <TextField label="Cash float in the drawer" value={float} onChange={(e) => setFloat(e.target.value)} fullWidth sx={{ my: 2 }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'float' } }} />
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
        {lastZ && <ReportView report={lastZ} />}
      </Box>
    );
  }

  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' }, maxWidth: 1000, mx: 'auto' }}>
      {report && <ReportView report={report} />}
      <Stack spacing={2}>
        <Paper sx={{ p: 2 }}>
          <Typography variant="h6">Cash in / out</Typography>
          <Stack direction="row" spacing={1} sx={{ my: 1 }}>
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
        <Paper sx={{ p: 2 }}>
          <Typography variant="h6">Close the shift</Typography>
          {!can(session, 'shift_close') && <Alert severity="info">A manager closes the shift.</Alert>}
          <TextField label="Counted cash" value={counted} onChange={(e) => setCounted(e.target.value)} fullWidth sx={{ my: 1 }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'counted' } }} />
          <Button
            variant="contained"
            color="warning"
            fullWidth
            disabled={!AMOUNT.test(counted) || !can(session, 'shift_close')}
            onClick={() => void run(() => closeShift(database, device.registerCode, dec(counted), actorOf(session)), 'Shift closed: Z report below')}
            data-testid="close-shift"
          >
            Close shift (Z report)
          </Button>
        </Paper>
      </Stack>
    </Box>
  );
}

function ReportView({ report }: { report: ShiftReport }) {
  const rows: [string, string][] = [
    ['Opened', new Date(report.openedAt).toLocaleString()],
    ...(report.closedAt ? ([['Closed', new Date(report.closedAt).toLocaleString()]] as [string, string][]) : []),
    ['Opening float', report.openingFloat],
    ['Sales', String(report.salesCount)],
    ['Gross sales', report.grossSales],
    ['Refunds', `${report.refunds} (${report.refundsCount})`],
    ['Net sales', report.netSales],
    ['Tax', report.tax],
    ['Discounts', report.discounts],
    ...Object.entries(report.paymentsByMethod).map(([m, a]) => [`Taken by ${m}`, a] as [string, string]),
    ['Cash in', report.cashIn],
    ['Cash out', report.cashOut],
    ['Expected cash', report.expectedCash],
    ...(report.countedCash !== null ? ([['Counted cash', report.countedCash], ['Difference', report.difference ?? '']] as [string, string][]) : []),
  ];
  return (
    <Paper sx={{ p: 2 }} data-testid={`${report.kind.toLowerCase()}-report`}>
      <Typography variant="h6">
        {report.kind} report · {report.registerCode}
      </Typography>
      {rows.map(([label, value]) => (
        <Stack key={label} direction="row" justifyContent="space-between">
          <Typography variant="body2">{label}</Typography>
          <Typography variant="body2">{value}</Typography>
        </Stack>
      ))}
    </Paper>
  );
}
