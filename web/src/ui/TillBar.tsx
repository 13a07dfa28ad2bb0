/**
 * The till's app bar: register, screens, the sync badge (online, unsent, refused), lock. One slim
 * row (two on a phone). Sync progress is drawn over its bottom edge and never moves the screen;
 * offline, the bar turns dark and says that sales are kept here and how many are waiting.
 */
import { AppBar, Box, Button, Chip, LinearProgress, Tab, Tabs, Toolbar, Typography } from '@mui/material';
import { MySecrets } from './MySecrets';
import { type Device, type Session, can } from './session';
import type { SyncView } from './useSync';

export type Screen = 'sell' | 'orders' | 'shift' | 'stock' | 'office';

/** Status colours with at least 4.5:1 contrast between text and background (WCAG AA). */
export const STATUS_COLOURS = {
  online: { bgcolor: '#1b5e20', color: '#ffffff' },
  unsent: { bgcolor: '#ffd54f', color: '#000000' },
  offline: { bgcolor: '#ffb300', color: '#000000' },
  refused: { bgcolor: '#b71c1c', color: '#ffffff' },
};
const OFFLINE_BAR = '#263238';

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
  const colours = !online ? STATUS_COLOURS.offline : counts.rejected ? STATUS_COLOURS.refused : counts.pending > 0 ? STATUS_COLOURS.unsent : STATUS_COLOURS.online;
  const badge = (
    <Chip
      data-testid="sync-badge"
      data-live={status?.live ? 'true' : 'false'}
      label={`${online ? 'Online' : 'Offline'} · ${counts.pending} unsent${counts.rejected ? ` · ${counts.rejected} refused` : ''}`}
      sx={{ ...colours, fontWeight: 700 }}
      title={status?.lastError ?? (status?.lastSyncAt ? `last sync ${new Date(status.lastSyncAt).toLocaleTimeString()}` : '')}
    />
  );
  const syncing = !!progress || !!status?.syncing;

  return (
    <AppBar position="sticky" className="no-print" sx={{ bgcolor: online ? undefined : OFFLINE_BAR }} data-offline={online ? undefined : 'true'}>
      <Toolbar variant="dense" sx={{ columnGap: 1, rowGap: 0, flexWrap: { xs: 'wrap', md: 'nowrap' }, minHeight: 48, px: { xs: 1, sm: 2 } }}>
        <Typography variant="h6" component="p" noWrap sx={{ mr: 1, fontSize: { xs: 16, sm: 20 }, flexShrink: 0 }}>
          <Box component="span" sx={{ display: { xs: 'none', sm: 'inline' } }}>
            Till ·{' '}
          </Box>
          {device.registerCode}
        </Typography>
        {session && (
          <Tabs
            value={screen}
            onChange={(_, v: Screen) => onScreen(v)}
            textColor="inherit"
            variant="scrollable"
            scrollButtons={false}
            slotProps={{ indicator: { style: { background: 'white' } } }}
            // Full white, never MUI's 70 % for unselected tabs (3.9:1 on the bar): the bold and the indicator mark the one chosen.
            sx={{ order: { xs: 10, md: 0 }, width: { xs: '100%', md: 'auto' }, minWidth: 0, flexShrink: { md: 0 }, '& .MuiTab-root': { opacity: 1 }, '& .Mui-selected': { fontWeight: 700 } }}
          >
            <Tab value="sell" label="Sell" data-testid="nav-sell" />
            <Tab value="orders" label="Orders" data-testid="nav-orders" />
            <Tab value="shift" label="Shift" data-testid="nav-shift" />
            {(can(session, 'stock_receive') || can(session, 'stock_count')) && <Tab value="stock" label="Stock" data-testid="nav-stock" />}
            {can(session, 'reports') && <Tab value="office" label="Back office" data-testid="nav-office" />}
          </Tabs>
        )}
        <Box sx={{ flex: 1 }} />
        {!online && (
          <Typography role="status" variant="body2" noWrap sx={{ display: { xs: 'none', lg: 'block' }, fontWeight: 600, minWidth: 0, flexShrink: 1 }} data-testid="offline-banner">
            Offline · {counts.pending} waiting · sales are kept here until the network returns
          </Typography>
        )}
        {badge}
        {session && <MySecrets session={session} />}
        {session && (
          <Button color="inherit" onClick={onSignOut} data-testid="sign-out" sx={{ whiteSpace: 'nowrap' }}>
            <Box component="span" sx={{ display: { xs: 'none', sm: 'inline' } }}>
              {session.name.split(' ')[0]} ·&nbsp;
            </Box>
            Lock
          </Button>
        )}
      </Toolbar>
      {syncing && (
        // Over the bar's bottom edge, out of the flow: a pull never pushes the screen down.
        <Box data-testid="sync-progress" sx={{ position: 'absolute', left: 0, right: 0, bottom: 0 }}>
          <LinearProgress
            color="secondary"
            aria-label={progress ? `Syncing ${progress.dataset}: ${progress.items} items so far` : 'Syncing'}
            variant={progress ? 'determinate' : 'indeterminate'}
            value={progress ? Math.min(100, (100 * progress.cursor) / Math.max(1, progress.target)) : undefined}
          />
        </Box>
      )}
    </AppBar>
  );
}
