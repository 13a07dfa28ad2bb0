/** The carts parked on this till, newest first; choosing one resumes it. */
import { Dialog, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Typography } from '@mui/material';
import { db } from '../../data/db';
import type { CartState } from '../../data/types';
import { useLive } from '../hooks';

export function ParkedDialog({ onClose, onResume }: { onClose: () => void; onResume: (cart: CartState) => void }) {
  const parked = useLive(() => db().parked.orderBy('parkedAt').reverse().toArray(), [], []);
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="xs">
      <DialogTitle>Parked carts</DialogTitle>
      <DialogContent>
        {parked.length === 0 && <Typography>No parked carts.</Typography>}
        <List>
          {parked.map((p) => (
            <ListItemButton
              key={p.id}
              onClick={() => {
                void db().parked.delete(p.id!);
                onResume(p.cart);
              }}
            >
              <ListItemText primary={p.label} secondary={new Date(p.parkedAt).toLocaleTimeString()} />
            </ListItemButton>
          ))}
        </List>
      </DialogContent>
    </Dialog>
  );
}
