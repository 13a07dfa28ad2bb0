/** Closing the shift: count the drawer (by note and coin or as a total), review the difference, close. */
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Paper, Stack, TextField, ToggleButton, ToggleButtonGroup, Typography } from '@mui/material';
import { useState } from 'react';
import type { ShiftReport } from '../../data/sales';
import { type CloseRule, DENOMINATIONS, type Pieces, countTotal, countWire, differenceWord, needsNote, parsePieces } from '../../domain/cashCount';
import { type Decimal, dec, moneyStr } from '../../domain/money';
import { AMOUNT, type Money } from './amount';
import { Line } from './ReportView';

/** A count the closer committed under a blind count: kept so a reload cannot undo it. */
export interface CommittedCount {
  counted: string;
  pieces: Pieces | null;
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
export function CloseShift({ report, rule, currency, money, committed, mayClose, onCommit, onClose }: CloseProps) {
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
