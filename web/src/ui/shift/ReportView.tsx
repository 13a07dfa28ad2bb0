/** The X or Z report of a shift, with the count by note and coin; the Z report prints at 80 mm. */
import { Box, Button, Paper, Stack, Typography } from '@mui/material';
import type { ShiftReport } from '../../data/sales';
import { differenceWord } from '../../domain/cashCount';
import { dec, moneyStr } from '../../domain/money';
import type { Money } from './amount';

/** One label and its amount on a report or the close review. */
export function Line({ label, value, testId, color, strong }: { label: string; value: string; testId?: string; color?: string; strong?: boolean }) {
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

export function ReportView({ report, money, hideExpected = false }: { report: ShiftReport; money: Money; hideExpected?: boolean }) {
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
