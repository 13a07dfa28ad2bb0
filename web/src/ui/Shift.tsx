/**
 * The register's shift: open with a float, cash in/out, the X report, and a close a manager
 * trusts: the drawer counted by note and coin (or as a total), a blind count when the manager's
 * rule asks for one (the expected cash shows only once the count is committed), a confirm step
 * with the difference in words, a note when the difference is over the allowance, and a Z report
 * to print at 80 mm. Works offline: the close is queued and the server checks it again.
 */
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Paper, Stack, TextField, ToggleButton, ToggleButtonGroup, Typography } from '@mui/material';
import { useState } from 'react';
import { db, getMeta, setMeta, storageErrorMessage } from '../data/db';
import { type ShiftReport, closeShift, currentShift, moveCash, openShift, shiftReport } from '../data/sales';
import type { Bootstrap } from '../data/types';
import { type CloseRule, DENOMINATIONS, NO_RULE, type Pieces, countTotal, countWire, differenceWord, needsNote, parsePieces } from '../domain/cashCount';
import { type Decimal, dec, moneyStr } from '../domain/money';
import { flushSoon } from '../sync/client';
import { useLive } from './hooks';
import { formatMoney } from './moneyFormat';
import { actorOf, can, useTill } from './session';

const AMOUNT = /^\d+(\.\d{1,2})?$/;

/** A count the closer committed under a blind count: kept so a reload cannot undo it. */
interface CommittedCount {
  counted: string;
  pieces: Pieces | null;
}

type Money = (amount: string) => string;

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

interface CloseProps {
  report: ShiftReport;
  rule: CloseRule;
  currency: string;
  money: Money;
  committed: CommittedCount | null;
  mayClose: boolean;
  onCommit: (count: CommittedCount) => Promise<void>;
  onClose: (counted: Decimal, pieces: Pieces | null, note: string) => Promise<boolean>;
}

/** Count the drawer, confirm with the difference in words (and a note when it must say why), close. */
function CloseShift({ report, rule, currency, money, committed, mayClose, onCommit, onClose }: CloseProps) {
  const faces = DENOMINATIONS[currency];
  const [mode, setMode] = useState<'pieces' | 'total'>(faces ? 'pieces' : 'total');
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [total, setTotal] = useState('');
  const [reviewing, setReviewing] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);

  const parsed = Object.fromEntries(Object.entries(typed).map(([face, text]) => [face, parsePieces(text)]));
  const piecesOk = Object.values(parsed).every((q) => q !== null);
  const pieces = countWire(parsed as Pieces);
  const draft: CommittedCount | null =
    mode === 'pieces' ? (piecesOk && Object.keys(pieces).length > 0 ? { counted: moneyStr(countTotal(pieces)), pieces } : null) : AMOUNT.test(total) ? { counted: moneyStr(dec(total)), pieces: null } : null;
  const count = committed ?? draft;
  const difference = count ? dec(count.counted).minus(dec(report.expectedCash)) : null;
  const noteNeeded = difference !== null && needsNote(rule, difference);

  const review = async () => {
    if (!count) return;
    // Under a blind count the count is committed before the expected cash is shown.
    if (rule.blind_count && !committed) await onCommit(count);
    setReviewing(true);
  };

  const close = async () => {
    if (!count) return;
    setBusy(true);
    const done = await onClose(dec(count.counted), count.pieces, note);
    setBusy(false);
    if (done) setReviewing(false);
  };

  return (
    <Paper sx={{ p: 2 }}>
      <Typography variant="h6" component="h2">
        Close the shift
      </Typography>
      {!mayClose && <Alert severity="info">A manager closes the shift.</Alert>}
      {rule.blind_count && (
        <Typography variant="body2" sx={{ my: 1 }} data-testid="blind-count">
          Blind count: count the drawer first; the expected cash shows once the count is committed.
        </Typography>
      )}
      {committed ? (
        <Typography sx={{ my: 1 }} data-testid="committed-count">
          Count committed: {money(committed.counted)}
        </Typography>
      ) : (
        <>
          {faces && (
            <ToggleButtonGroup exclusive size="small" value={mode} onChange={(_, v: 'pieces' | 'total' | null) => v && setMode(v)} aria-label="How the drawer is counted" sx={{ my: 1 }}>
              <ToggleButton value="pieces" data-testid="count-by-pieces">
                Notes and coins
              </ToggleButton>
              <ToggleButton value="total" data-testid="count-by-total">
                Total only
              </ToggleButton>
            </ToggleButtonGroup>
          )}
          {mode === 'pieces' && faces ? (
            <Box component="fieldset" sx={{ border: 0, p: 0, m: 0 }}>
              <Box component="legend" sx={{ typography: 'body2', mb: 1 }}>
                How many of each note and coin ({currency})
              </Box>
              <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(130px, 1fr))', gap: 1 }}>
                {[...faces.notes.map((f) => [f, 'note'] as const), ...faces.coins.map((f) => [f, 'coin'] as const)].map(([face, kind]) => (
                  <TextField
                    key={`${kind}-${face}`}
                    size="small"
                    label={`${money(face)} ${kind}s`}
                    value={typed[face] ?? ''}
                    error={parsed[face] === null}
                    onChange={(e) => setTyped((t) => ({ ...t, [face]: e.target.value }))}
                    slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': `pieces-${face}` } }}
                  />
                ))}
              </Box>
              <Typography sx={{ mt: 1 }} fontWeight={700} data-testid="count-total" aria-live="polite">
                Counted: {money(draft?.counted ?? '0.00')}
              </Typography>
            </Box>
          ) : (
            <TextField label={`Counted cash (${currency})`} value={total} onChange={(e) => setTotal(e.target.value)} fullWidth sx={{ my: 1 }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'counted' } }} />
          )}
        </>
      )}
      <Button variant="contained" color="warning" fullWidth sx={{ mt: 1 }} disabled={!count || !mayClose} onClick={() => void review()} data-testid="close-shift">
        {rule.blind_count && !committed ? 'Commit the count' : 'Review the close'}
      </Button>
      <Dialog open={reviewing} onClose={() => setReviewing(false)} aria-labelledby="close-title" fullWidth maxWidth="xs">
        <DialogTitle id="close-title">Close the shift?</DialogTitle>
        <DialogContent data-testid="close-dialog">
          {count && difference && (
            <Stack spacing={0.5}>
              <Line label="Counted cash" value={money(count.counted)} />
              <Line label="Expected cash" value={money(report.expectedCash)} testId="close-expected" />
              <Line
                label={differenceWord(difference)}
                value={money(moneyStr(difference.abs()))}
                testId="close-difference"
                color={difference.isNegative() ? 'error.main' : undefined}
                strong
              />
              <TextField
                label={noteNeeded ? 'Why the count differs (required)' : 'Note (optional)'}
                value={note}
                required={noteNeeded}
                onChange={(e) => setNote(e.target.value)}
                multiline
                minRows={2}
                sx={{ mt: 2 }}
                slotProps={{ htmlInput: { maxLength: 500, 'data-testid': 'close-note' } }}
              />
              <Typography variant="body2">Closing cannot be undone: the Z report is final.</Typography>
            </Stack>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setReviewing(false)}>{rule.blind_count ? 'Not now' : 'Back to the count'}</Button>
          <Button variant="contained" color="warning" disabled={busy || (noteNeeded && !note.trim())} onClick={() => void close()} data-testid="confirm-close">
            Close the shift
          </Button>
        </DialogActions>
      </Dialog>
    </Paper>
  );
}

function Line({ label, value, testId, color, strong }: { label: string; value: string; testId?: string; color?: string; strong?: boolean }) {
  return (
    <Stack direction="row" justifyContent="space-between" gap={2}>
      <Typography variant="body2" fontWeight={strong ? 700 : 400} color={color}>
        {label}
      </Typography>
      <Typography variant="body2" fontWeight={strong ? 700 : 400} color={color} data-testid={testId} sx={{ whiteSpace: 'nowrap' }}>
        {value}
      </Typography>
    </Stack>
  );
}

function ReportView({ report, money, hideExpected = false }: { report: ShiftReport; money: Money; hideExpected?: boolean }) {
  const difference = report.difference !== null ? dec(report.difference) : null;
  const rows: [string, string][] = [
    ['Opened', new Date(report.openedAt).toLocaleString()],
    ...(report.closedAt ? ([['Closed', new Date(report.closedAt).toLocaleString()]] as [string, string][]) : []),
    ['Opening float', money(report.openingFloat)],
    [`Sales (${report.salesCount})`, money(report.grossSales)],
    [`Refunds (${report.refundsCount})`, money(report.refunds)],
    ['Net sales', money(report.netSales)],
    ['Tax', money(report.tax)],
    ['Discounts', money(report.discounts)],
    ...Object.entries(report.paymentsByMethod).map(([m, a]) => [`Taken by ${m}`, money(a)] as [string, string]),
    ['Cash in', money(report.cashIn)],
    ['Cash out', money(report.cashOut)],
    ['Expected cash', hideExpected ? 'after the count' : money(report.expectedCash)],
    ...(report.countedCash !== null ? ([['Counted cash', money(report.countedCash)]] as [string, string][]) : []),
  ];
  const isZ = report.kind === 'Z';
  return (
    <Paper sx={{ p: 2 }} className={isZ ? 'receipt' : undefined} data-testid={`${report.kind.toLowerCase()}-report`}>
      <Typography variant="h6" component="h2">
        {report.kind} report · {report.registerCode}
      </Typography>
      {rows.map(([label, value]) => (
        <Line key={label} label={label} value={value} />
      ))}
      {difference && <Line label={`Difference: ${differenceWord(difference)}`} value={money(moneyStr(difference.abs()))} color={difference.isNegative() ? 'error.main' : undefined} strong testId="z-difference" />}
      {report.countedByDenomination && Object.keys(report.countedByDenomination).length > 0 && (
        <Box sx={{ mt: 1 }} data-testid="z-pieces">
          <Typography variant="body2" fontWeight={700}>
            Counted by note and coin
          </Typography>
          {Object.entries(report.countedByDenomination)
            .sort(([a], [b]) => dec(b).comparedTo(dec(a)))
            .map(([face, quantity]) => (
              <Line key={face} label={`${quantity} × ${money(face)}`} value={money(moneyStr(dec(face).times(quantity)))} />
            ))}
        </Box>
      )}
      {report.note && (
        <Typography variant="body2" sx={{ mt: 1 }} data-testid="z-note">
          Note: {report.note}
        </Typography>
      )}
      {isZ && (
        <Button className="no-print" variant="outlined" sx={{ mt: 2 }} onClick={() => window.print()} data-testid="print-z">
          Print the Z report
        </Button>
      )}
    </Paper>
  );
}
