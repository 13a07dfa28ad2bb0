/** The carts parked on this till, newest first: name, customer, total; resume, rename or delete one. */
import { Button, Dialog, DialogContent, DialogTitle, List, ListItem, ListItemButton, ListItemText, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { deleteParked, renameParked } from '../../data/carts';
import { db, storageErrorMessage } from '../../data/db';
import type { ParkedCart } from '../../data/types';
import { useLive } from '../hooks';
import { useTill } from '../session';
import { money } from './format';

function describe(p: ParkedCart): { title: string; detail: string } {
  const items = p.cart.lines.reduce((n, l) => n + Number(l.qty), 0);
  const time = new Date(p.parkedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const who = p.customerName ?? null;
  return {
    title: p.name ?? who ?? `Cart parked at ${time}`,
    detail: [`${items} item${items === 1 ? '' : 's'}`, p.name ? who : null, p.total ? money(p.total) : null, `parked ${time}`].filter(Boolean).join(' · '),
  };
}

export function ParkedDialog({ onClose, onResume }: { onClose: () => void; onResume: (parkedId: number) => void }) {
  const { notify } = useTill();
  const parked = useLive(() => db().parked.orderBy('parkedAt').reverse().toArray(), [], []);
  const [renaming, setRenaming] = useState<{ id: number; name: string } | null>(null);
  const [deleting, setDeleting] = useState<number | null>(null);
  const fail = (e: unknown) => notify(storageErrorMessage(e), 'error');
  const saveName = () => {
    if (!renaming) return;
    renameParked(db(), renaming.id, renaming.name).then(() => setRenaming(null), fail);
  };
  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="sm">
      <DialogTitle>Parked carts</DialogTitle>
      <DialogContent>
        {parked.length === 0 && <Typography>No parked carts.</Typography>}
        <List>
          {parked.map((p) => {
            const { title, detail } = describe(p);
            const id = p.id!;
            if (renaming?.id === id) {
              return (
                <ListItem key={id} data-testid="parked-cart" sx={{ gap: 1 }}>
                  <TextField
                    autoFocus
                    fullWidth
                    size="small"
                    label="Name"
                    value={renaming.name}
                    onChange={(e) => setRenaming({ id, name: e.target.value })}
                    onKeyDown={(e) => e.key === 'Enter' && saveName()}
                  />
                  <Button onClick={saveName}>Save</Button>
                </ListItem>
              );
            }
            return (
              <ListItem key={id} data-testid="parked-cart" disablePadding sx={{ flexWrap: 'wrap' }}>
                <ListItemButton onClick={() => onResume(id)} data-testid="resume-parked" sx={{ flex: '1 1 240px' }}>
                  <ListItemText primary={title} secondary={detail} />
                </ListItemButton>
                {deleting === id ? (
                  <Stack direction="row">
                    <Button color="error" onClick={() => void deleteParked(db(), id).then(() => setDeleting(null), fail)}>
                      Delete parked cart
                    </Button>
                    <Button onClick={() => setDeleting(null)}>Keep</Button>
                  </Stack>
                ) : (
                  <Stack direction="row">
                    <Button onClick={() => setRenaming({ id, name: p.name ?? '' })}>Rename</Button>
                    <Button color="error" onClick={() => setDeleting(id)}>
                      Delete
                    </Button>
                  </Stack>
                )}
              </ListItem>
            );
          })}
        </List>
      </DialogContent>
    </Dialog>
  );
}
