/** Dead letters: messages that failed for good, to send to their queue again or discard. */
import { Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, Stack, Typography } from '@mui/material';
import { useCallback, useState } from 'react';
import type { AdminApi, DeadLetter } from '../../api/admin';
import { type Notify, LoadState, SimpleTable, errorText, useLoad, when } from './common';

export function DeadLetters({ api, notify }: { api: AdminApi; notify: Notify }) {
  const state = useLoad(useCallback(() => api.deadLetters(), [api]));
  const [open, setOpen] = useState<DeadLetter | null>(null);
  const act = async (letter: DeadLetter, action: 'replay' | 'discard') => {
    try {
      if (action === 'replay') await api.replay(letter.id);
      else await api.discard(letter.id);
      notify(`Dead letter ${letter.id} ${action === 'replay' ? 'sent to its queue again' : 'discarded'}`, 'success');
      setOpen(null);
      state.reload();
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };
  const inspect = async (letter: DeadLetter) => {
    try {
      setOpen(await api.deadLetter(letter.id));
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };
  return (
    <>
      <LoadState state={state}>
        {(letters) => (
          <SimpleTable
            caption="Dead letters"
            head={['Id', 'Queue', 'Topic', 'Tries', 'Last error', 'Dead since', '']}
            rows={letters.map((l) => [
              l.id,
              l.queue,
              l.topic,
              l.attempts,
              <Box key="e" sx={{ maxWidth: 320, overflow: 'hidden', textOverflow: 'ellipsis' }}>{l.last_error ?? '–'}</Box>,
              when(l.dead_at),
              <Stack key="a" direction="row" spacing={1}>
                <Button onClick={() => void inspect(l)}>Inspect</Button>
                <Button onClick={() => void act(l, 'replay')}>Replay</Button>
                <Button color="error" onClick={() => void act(l, 'discard')}>
                  Discard
                </Button>
              </Stack>,
            ])}
            testId="dead-letters"
          />
        )}
      </LoadState>
      <Dialog open={open !== null} onClose={() => setOpen(null)} maxWidth="md" fullWidth aria-labelledby="letter-title">
        <DialogTitle id="letter-title">
          Dead letter {open?.id} · {open?.topic}
        </DialogTitle>
        <DialogContent>
          <Typography gutterBottom>
            Queue {open?.queue} · message {open?.message_id} · {open?.attempts} tries · first sent {when(open?.created_at ?? null)}
          </Typography>
          <Typography gutterBottom color="error">
            {open?.last_error}
          </Typography>
          <Box component="pre" sx={{ p: 1, bgcolor: 'grey.100', overflow: 'auto', maxHeight: 360 }}>
            {JSON.stringify(open?.payload, null, 2)}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(null)}>Close</Button>
          {open && <Button onClick={() => void act(open, 'replay')}>Replay</Button>}
          {open && (
            <Button color="error" onClick={() => void act(open, 'discard')}>
              Discard
            </Button>
          )}
        </DialogActions>
      </Dialog>
    </>
  );
}
