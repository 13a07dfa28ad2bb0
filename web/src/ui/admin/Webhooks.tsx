/** Webhooks: endpoints that hear what Till announces, with the secret shown once on creation. */
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Stack, Switch, TextField, Typography } from '@mui/material';
import { type FormEvent, useCallback, useState } from 'react';
import type { AdminApi, Webhook } from '../../api/admin';
import { type Notify, LoadState, SimpleTable, errorText, useLoad } from './common';

export function Webhooks({ api, notify }: { api: AdminApi; notify: Notify }) {
  const state = useLoad(useCallback(() => api.webhooks(), [api]));
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [topics, setTopics] = useState('*');
  const [made, setMade] = useState<Webhook | null>(null);
  const [error, setError] = useState<string | null>(null);
  const add = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const endpoint = await api.addWebhook({ name, url, topics: topics.split(',').map((t) => t.trim()).filter(Boolean) });
      setMade(endpoint);
      setName('');
      setUrl('');
      setError(null);
      state.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const toggle = async (endpoint: Webhook) => {
    try {
      await api.switchWebhook(endpoint.id, !endpoint.active);
      notify(`${endpoint.name} switched ${endpoint.active ? 'off' : 'on'}`, 'success');
      state.reload();
    } catch (e) {
      notify(errorText(e), 'error');
    }
  };
  return (
    <Stack spacing={3}>
      <LoadState state={state}>
        {(endpoints) => (
          <SimpleTable
            caption="Webhook endpoints"
            head={['Name', 'URL', 'Topics', 'Queue', 'On']}
            rows={endpoints.map((w) => [
              w.name,
              <Box key="url" sx={{ wordBreak: 'break-all' }}>{w.url}</Box>,
              w.topics.join(', '),
              w.queue,
              <FormControlLabel
                key="on"
                control={<Switch checked={w.active} onChange={() => void toggle(w)} slotProps={{ input: { 'aria-label': `${w.name} active` } }} />}
                label={w.active ? 'on' : 'off'}
              />,
            ])}
            testId="webhook-table"
          />
        )}
      </LoadState>
      <Box component="form" onSubmit={(e) => void add(e)} sx={{ display: 'flex', flexWrap: 'wrap', gap: 1.5, alignItems: 'center' }} aria-label="Add a webhook endpoint">
        <Typography variant="h6" component="h3" sx={{ width: '100%' }}>
          Add an endpoint
        </Typography>
        <TextField label="Name" required value={name} onChange={(e) => setName(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'webhook-name' } }} />
        <TextField label="URL" type="url" required value={url} onChange={(e) => setUrl(e.target.value)} sx={{ minWidth: 320 }} slotProps={{ htmlInput: { 'data-testid': 'webhook-url' } }} />
        <TextField
          label="Topics (comma-separated, * for all)"
          required
          value={topics}
          onChange={(e) => setTopics(e.target.value)}
          sx={{ minWidth: 280 }}
          slotProps={{ htmlInput: { 'data-testid': 'webhook-topics' } }}
        />
        <Button type="submit" variant="contained" data-testid="webhook-add">
          Add
        </Button>
        {error && <Alert severity="error" sx={{ width: '100%' }}>{error}</Alert>}
      </Box>
      <Dialog open={made !== null} onClose={() => setMade(null)} aria-labelledby="secret-title">
        <DialogTitle id="secret-title">Signing secret for {made?.name}</DialogTitle>
        <DialogContent>
          <Typography gutterBottom>Copy it now: it is shown only this once.</Typography>
          <Box component="code" sx={{ display: 'block', p: 1, bgcolor: 'grey.100', wordBreak: 'break-all' }} data-testid="webhook-secret">
            {made?.secret}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setMade(null)}>Done</Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}
