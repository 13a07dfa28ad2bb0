/** A stock count by scanner: counting, a manager's review and approval. */
import { Alert, Box, Button, Chip, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { productByCode } from '../../data/search';
import { dec } from '../../domain/money';
import { can, useTill } from '../session';
import { useScanner } from '../sell/useScanner';
import { type Count, errorText, useApi } from './api';

export /** Count by scanning: each scan adds one to the SKU's count on the server (a set, so a retry
 * changes nothing). Blind: the counter sees only what they counted; a manager reviews. */
function CountSheet({ id, onClose }: { id: number; onClose: () => void }) {
  const { session, notify } = useTill();
  const api = useApi();
  const [count, setCount] = useState<Count | null>(null);
  const path = `/api/stock-counts/${id}`;

  useEffect(() => {
    void api<Count>('GET', path).then(setCount, (error: unknown) => notify(errorText(error), 'error'));
  }, [api, path, notify]);

  const step = useCallback(
    async (method: string, to: string, body?: unknown) => {
      try {
        setCount(await api<Count>(method, to, body));
        return true;
      } catch (error) {
        notify(errorText(error), 'error');
        return false;
      }
    },
    [api, notify],
  );

  const scan = useCallback(
    (code: string) => {
      if (count?.state !== 'counting') return;
      void productByCode(code).then((product) => {
        if (!product) return notify(`No product with barcode or SKU ${code}`, 'warning');
        const now = count.lines.find((l) => l.sku === product.sku)?.counted ?? '0';
        void step('PUT', `${path}/lines/${encodeURIComponent(product.sku)}`, { counted: dec(now).plus(1).toString() });
      });
    },
    [count, path, step, notify],
  );
  useScanner(scan);

  if (!count) return null;
  const shown = count.lines.some((l) => l.expected !== null && l.expected !== undefined);
  const approver = can(session, 'stock_adjust');
  return (
    <Box sx={{ maxWidth: 900, mx: 'auto' }} data-testid="count-screen">
      <Stack direction="row" spacing={1} alignItems="center" sx={{ mb: 1 }}>
        <Typography variant="h6" sx={{ flex: 1 }}>
          Count {count.id} · {count.kind}
          {count.blind ? ' · blind' : ''}
        </Typography>
        <Chip label={count.state} data-testid="count-state" />
      </Stack>
      {count.state === 'counting' && <Alert severity="info">Scan each unit on the shelf. Sales go on: what is sold before you scan a SKU is taken into account.</Alert>}
      <Table size="small" aria-label="Counted">
        <TableHead>
          <TableRow>
            <TableCell>SKU</TableCell>
            <TableCell align="right">Counted</TableCell>
            {shown && <TableCell align="right">Expected</TableCell>}
            {shown && <TableCell align="right">Variance</TableCell>}
          </TableRow>
        </TableHead>
        <TableBody>
          {count.lines.map((l) => (
            <TableRow key={l.sku} data-testid={`count-line-${l.sku}`}>
              <TableCell>{l.sku}</TableCell>
              <TableCell align="right" data-testid="counted">
                {l.counted === null ? '—' : dec(l.counted).toString()}
              </TableCell>
              {shown && (
                <TableCell align="right" data-testid="expected">
                  {l.expected === null || l.expected === undefined ? '' : dec(l.expected).toString()}
                </TableCell>
              )}
              {shown && (
                <TableCell align="right" data-testid="variance">
                  {l.variance === null || l.variance === undefined ? '' : dec(l.variance).toString()}
                </TableCell>
              )}
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <Stack direction="row" spacing={1} sx={{ mt: 2 }}>
        {count.state === 'counting' && (
          <Button variant="contained" onClick={() => void step('POST', `${path}/submit`)} data-testid="submit-count">
            Counting done
          </Button>
        )}
        {count.state === 'review' && approver && (
          <Button variant="contained" color="warning" onClick={() => void step('POST', `${path}/approve`).then((ok) => ok && notify('Count approved: the stock is adjusted.', 'success'))} data-testid="approve-count">
            Approve variance
          </Button>
        )}
        {count.state === 'review' && !approver && <Typography color="text.secondary">Waiting for a manager to review and approve.</Typography>}
        <Button onClick={onClose}>Back</Button>
      </Stack>
    </Box>
  );
}
