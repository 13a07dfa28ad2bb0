/** Stock of one SKU everywhere, from the server; this till's own copy while offline. */
import { Alert, Dialog, DialogContent, DialogTitle, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { type StockOut, call } from '../../api/client';
import { dec, qtyStr } from '../../domain/money';
import { db } from '../../data/db';
import { useLive } from '../hooks';
import { useTill } from '../session';
import { Row } from './format';

export function StockDialog({ sku, onClose }: { sku: string; onClose: () => void }) {
  const { session, boot } = useTill();
  const [stock, setStock] = useState<StockOut | null>(null);
  const [failed, setFailed] = useState(false);
  const local = useLive(() => db().stock.where('sku').equals(sku).toArray(), [sku], []);
  useEffect(() => {
    void call<StockOut>({ baseUrl: location.origin, token: session.token }, 'GET', `/api/stock/${encodeURIComponent(sku)}`)
      .then(setStock)
      .catch(() => setFailed(true));
  }, [sku, session.token]);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Stock of {sku}</DialogTitle>
      <DialogContent data-testid="stock-dialog">
        {stock ? (
          <>
            <Typography variant="subtitle2">Salable by location</Typography>
            {Object.entries(stock.salable_by_location).map(([code, qty]) => (
              <Row key={code} label={boot?.locations.find((l) => l.code === code)?.name ?? code} value={qtyStr(dec(qty))} />
            ))}
            <Typography variant="subtitle2" sx={{ mt: 1 }}>
              On hand by source
            </Typography>
            {stock.sources.map((s) => (
              <Row key={s.source_code} label={s.source_name} value={qtyStr(dec(s.quantity))} />
            ))}
          </>
        ) : (
          <>
            {failed && <Alert severity="info">Offline: showing this till's own copy.</Alert>}
            {local.map((row) => (
              <Row key={row.key} label={`stock ${row.stock_id}`} value={qtyStr(dec(row.salable))} />
            ))}
          </>
        )}
      </DialogContent>
    </Dialog>
  );
}
