/** Pieces the back-office pages share: loading a list, error text, a plain table. */
import { Alert, Box, Button, LinearProgress, Table, TableBody, TableCell, TableContainer, TableHead, TableRow } from '@mui/material';
import { type ReactNode, useCallback, useEffect, useState } from 'react';
import { ApiError, NetworkError } from '../../api/client';

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.status === 403 ? `not allowed: ${error.detail}` : error.detail;
  if (error instanceof NetworkError) return `no answer from the server (${error.message})`;
  return error instanceof Error ? error.message : String(error);
}

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Load something once (and again on `reload`); the newest answer wins. */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((value) => {
        if (!current) return;
        setData(value);
        setError(null);
      })
      .catch((e: unknown) => current && setError(errorText(e)))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [load, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload };
}

/** Loading bar, error with a retry, then the content. */
export function LoadState<T>({ state, children }: { state: Loaded<T>; children: (data: T) => ReactNode }) {
  return (
    <Box>
      {state.loading && <LinearProgress aria-label="Loading" />}
      {state.error && (
        <Alert
          severity="error"
          action={
            <Button color="inherit" onClick={state.reload}>
              Retry
            </Button>
          }
        >
          {state.error}
        </Alert>
      )}
      {state.data !== null && children(state.data)}
    </Box>
  );
}

/** A plain table of strings and nodes with a caption for screen readers. */
export function SimpleTable({ caption, head, rows, testId, rowTestId }: { caption: string; head: string[]; rows: ReactNode[][]; testId?: string; rowTestId?: string }) {
  return (
    <TableContainer sx={{ maxWidth: '100%', overflowX: 'auto' }}>
      <Table size="small" data-testid={testId} aria-label={caption}>
        <TableHead>
          <TableRow>
            {head.map((h) => (
              <TableCell key={h} sx={{ fontWeight: 600, whiteSpace: 'nowrap' }}>
                {h}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((row, i) => (
            <TableRow key={i} data-testid={rowTestId}>
              {row.map((cell, j) => (
                <TableCell key={j} sx={{ verticalAlign: 'top' }}>
                  {cell}
                </TableCell>
              ))}
            </TableRow>
          ))}
          {rows.length === 0 && (
            <TableRow>
              <TableCell colSpan={head.length}>Nothing here.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

export type Notify = (message: string, severity?: 'success' | 'info' | 'warning' | 'error') => void;

export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '–');
