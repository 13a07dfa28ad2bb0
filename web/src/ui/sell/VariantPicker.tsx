/** Choose the options (size, colour…) of a configurable product to add one of its variants. */
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { db } from '../../data/db';
import type { Product } from '../../data/types';
import { useLive } from '../hooks';
import { useTill } from '../session';
import { money } from './format';

export function VariantPicker({ parent, onClose, onPick }: { parent: Product; onClose: () => void; onPick: (p: Product) => void }) {
  const { boot } = useTill();
  const variants = useLive(() => db().products.where('parent_sku').equals(parent.sku).toArray(), [parent.sku], [] as Product[]);
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const label = (code: string, value: string | number) =>
    boot?.attributes.find((a) => a.code === code)?.options.find((o) => String(o.value) === String(value))?.label ?? String(value);
  const match = variants.find((v) => v.enabled && parent.configurable_attributes.every((code) => chosen[code] !== undefined && String(v.attributes[code]) === chosen[code]));
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>{parent.name}</DialogTitle>
      <DialogContent>
        {parent.configurable_attributes.map((code) => {
          const values = [...new Set(variants.map((v) => String(v.attributes[code])))];
          return (
            <Box key={code} sx={{ mb: 2 }}>
              <Typography variant="subtitle2">{boot?.attributes.find((a) => a.code === code)?.label ?? code}</Typography>
              <Stack direction="row" spacing={1} useFlexGap flexWrap="wrap">
                {values.map((value) => (
                  <Button key={value} variant={chosen[code] === value ? 'contained' : 'outlined'} onClick={() => setChosen((c) => ({ ...c, [code]: value }))}>
                    {label(code, value)}
                  </Button>
                ))}
              </Stack>
            </Box>
          );
        })}
        {match && (
          <Typography>
            {match.sku} · {money(match.price)}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" disabled={!match} onClick={() => match && onPick(match)} data-testid="picker-add">
          Add
        </Button>
      </DialogActions>
    </Dialog>
  );
}
