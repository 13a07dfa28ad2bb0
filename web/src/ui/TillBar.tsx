/** The till's app bar: register, screens, the sync badge (online, unsent, refused), lock; pull progress under it. */
import { Alert, AppBar, Box, Button, Chip, LinearProgress, Tab, Tabs, Toolbar, Typography } from '@mui/material';
import { MySecrets } from './MySecrets';
import { type Device, type Session, can } from './session';
import type { SyncView } from './useSync';

export type Screen = 'sell' | 'orders' | 'shift' | 'office';

export function TillBar({
  device,
  session,
  screen,
  onScreen,
  online,
  sync: { progress, status, counts },
  onSignOut,
}: {
  device: Device;
  session: Session | null;
  screen: Screen;
  onScreen: (screen: Screen) => void;
  online: boolean;
  sync: SyncView;
  onSignOut: () => void;
}) {
  const badge = (
    <Chip
      data-testid="sync-badge"
      data-live={status?.live ? 'true' : 'false'}
      color={online ? (counts.pending > 0 ? 'warning' : 'success') : 'default'}
      label={`${online ? 'Online' : 'Offline'} · ${counts.pending} unsent${counts.rejected ? ` · ${counts.rejected} refused` : ''}`}
      sx={{ bgcolor: online ? undefined : 'grey.300', fontWeight: 600 }}
      title={status?.lastError ?? (status?.lastSyncAt ? `last sync ${new Date(status.lastSyncAt).toLocaleTimeString()}` : '')}
    />
  );

  return (
    <>
      <AppBar position="sticky" className="no-print">
        <Toolbar sx={{ gap: 1, flexWrap: 'wrap', py: 0.5 }}>
          <Typography variant="h6" sx={{ mr: 1 }}>
            Till · {device.registerCode}
          </Typography>
          {session && (
            <Tabs value={screen} onChange={(_, v: Screen) => onScreen(v)} textColor="inherit" TabIndicatorProps={{ style: { background: 'white' } }}>
              <Tab value="sell" label="Sell" data-testid="nav-sell" />
              <Tab value="orders" label="Orders" data-testid="nav-orders" />
              <Tab value="shift" label="Shift" data-testid="nav-shift" />
              {can(session, 'reports') && <Tab value="office" label="Back office" data-testid="nav-office" />}
            </Tabs>
          )}
          <Box sx={{ flex: 1 }} />
          {badge}
          {session && <MySecrets session={session} />}
          {session && (
            <Button color="inherit" onClick={onSignOut} data-testid="sign-out">
              {session.name.split(' ')[0]} · Lock
            </Button>
          )}
        </Toolbar>
        {(progress || status?.syncing) && (
          <Box data-testid="sync-progress">
            <LinearProgress
              color="secondary"
              variant={progress ? 'determinate' : 'indeterminate'}
              value={progress ? Math.min(100, (100 * progress.cursor) / Math.max(1, progress.target)) : undefined}
            />
          </Box>
        )}
      </AppBar>
      {progress && (
        <Alert severity="info" className="no-print">
          Syncing {progress.dataset}: {progress.items} items so far
        </Alert>
      )}
    </>
  );
}
