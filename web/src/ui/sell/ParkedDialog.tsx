/** The carts parked on this till, newest first; choosing one resumes it (by its id). */
import { Dialog, DialogContent, DialogTitle, List, ListItemButton, ListItemText, Typography } from '@mui/material';
import { db } from '../../data/db';
import { useLive } from '../hooks';

export function ParkedDialog({ onClose, onResume }: { onClose: () => void; onResume: (parkedId: number) => void }) {
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
              onClick={() => onResume(p.id!)}
            >
              <ListItemText primary={p.label} secondary={new Date(p.parkedAt).toLocaleTimeString()} />
            </ListItemButton>
          ))}
        </List>
      </DialogContent>
    </Dialog>
  );
}
