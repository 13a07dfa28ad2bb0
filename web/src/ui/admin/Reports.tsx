/** Saved reports: pick one, fill its parameters, run it, read the table, export CSV. */
import { Alert, Box, Button, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useState } from 'react';
import type { AdminApi, Cell, ReportInfo, ReportResult } from '../../api/admin';
import { dec, moneyStr } from '../../domain/money';
import { LoadState, SimpleTable, errorText, useLoad } from './common';
import { LocationPicker } from './Today';

const INPUT_TYPE: Record<string, string> = { date: 'date', int: 'number', decimal: 'text', text: 'text' };

/** Columns that hold money, by name (reports are SQL: their columns carry no type). */
const MONEY_COLUMN = /total|amount|tax|discount|float|revenue|price|cash|difference|expected|counted|refund/i;

/** A cell as a manager reads it: money as dollars and cents with grouped thousands, exact (decimal.js), whatever float the database summed. */
export function reportCell(column: string, cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  if (MONEY_COLUMN.test(column) && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(text)) {
    // Thousands grouped as the store's (en-US) money reads: $1,805.95.
    const amount = dec(text);
    const [whole, cents] = moneyStr(amount.abs()).split('.');
    return `${amount.isNegative() ? '-' : ''}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`;
  }
  return text;
}

const PARAM_LABEL: Record<string, string> = { date_from: 'From', date_to: 'To' };

/** A register picked from the manager's locations' registers. */
function RegisterPicker({ api, value, onChange }: { api: AdminApi; value: string; onChange: (code: string) => void }) {
  const places = useLoad(useCallback(() => api.locations(), [api]));
  return (
    <TextField
      select
      label="Register"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      sx={{ minWidth: 220 }}
      slotProps={{ select: { native: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'param-register' } }}
    >
      <option value="">Any register</option>
      {(places.data ?? []).flatMap((p) =>
        p.registers.map((r) => (
          <option key={r.code} value={r.code}>
            {r.name} ({r.code})
          </option>
        )),
      )}
    </TextField>
  );
}

export function Reports({ api }: { api: AdminApi }) {
  const list = useLoad(useCallback(() => api.reports(), [api]));
  return <LoadState state={list}>{(reports) => <ReportRunner api={api} reports={reports} />}</LoadState>;
}

function ReportRunner({ api, reports }: { api: AdminApi; reports: ReportInfo[] }) {
  const [name, setName] = useState(reports[0]?.name ?? '');
  const [params, setParams] = useState<Record<string, string>>({});
  const [result, setResult] = useState<ReportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const report = reports.find((r) => r.name === name);

  const run = async () => {
    if (!report) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await api.runReport(report.name, params));
    } catch (e) {
      setResult(null);
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const exportCsv = async () => {
    if (!report) return;
    try {
      const blob = await api.reportCsv(report.name, params);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `${report.name}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (reports.length === 0) return <Alert severity="info">No reports your role may run.</Alert>;
  return (
    <Stack spacing={2}>
      <TextField
        select
        label="Report"
        value={name}
        sx={{ maxWidth: 420 }}
        onChange={(e) => {
          setName(e.target.value);
          setParams({});
          setResult(null);
          setError(null);
        }}
        slotProps={{ select: { native: true }, htmlInput: { 'data-testid': 'report-select' } }}
      >
        {reports.map((r) => (
          <option key={r.name} value={r.name}>
            {r.title}
          </option>
        ))}
      </TextField>
      {report?.description && <Typography color="text.secondary">{report.description}</Typography>}
      <Box component="form" sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }} onSubmit={(e) => { e.preventDefault(); void run(); }}>
        {Object.entries(report?.params ?? {}).map(([param, type]) =>
          param === 'location' ? (
            <LocationPicker key={param} api={api} value={params[param] ?? ''} onChange={(code) => setParams((p) => ({ ...p, [param]: code }))} allLabel="Any location" testId={`param-${param}`} />
          ) : param === 'register' ? (
            <RegisterPicker key={param} api={api} value={params[param] ?? ''} onChange={(code) => setParams((p) => ({ ...p, [param]: code }))} />
          ) : (
          <TextField
            key={param}
            label={PARAM_LABEL[param] ?? param.replaceAll('_', ' ')}
            type={INPUT_TYPE[type] ?? 'text'}
            value={params[param] ?? ''}
            onChange={(e) => setParams((p) => ({ ...p, [param]: e.target.value }))}
            slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': `param-${param}`, inputMode: type === 'decimal' ? 'decimal' : undefined } }}
            helperText={type === 'date' ? 'optional' : `${type}, optional`}
          />
          ),
        )}
        <Button type="submit" variant="contained" disabled={busy || !report} data-testid="run-report">
          Run
        </Button>
        <Button variant="outlined" disabled={busy || !report} onClick={() => void exportCsv()} data-testid="export-csv">
          Export CSV
        </Button>
      </Box>
      {error && <Alert severity="error">{error}</Alert>}
      {result && (
        <>
          <Typography aria-live="polite" data-testid="report-count">
            {result.rows.length} row{result.rows.length === 1 ? '' : 's'}
            {result.truncated ? ' (cut at the row limit)' : ''}
          </Typography>
          <SimpleTable
            caption={report?.title ?? result.name}
            head={result.columns}
            rows={result.rows.map((row) => row.map((cell, i) => reportCell(result.columns[i] ?? '', cell)))}
            testId="report-table"
            rowTestId="report-row"
          />
        </>
      )}
    </Stack>
  );
}
