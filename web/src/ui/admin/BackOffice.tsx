/**
 * The back office for managers and admins: today's figures, reports, the shift-close rule, live monitoring, flags, locations, staff,
 * and (admins) webhooks, dead letters and the audit log. Online only: it reads the server, never
 * IndexedDB. Loaded lazily (React.lazy in App.tsx) so the till's first load does not carry it;
 * the audit log, for admins only, is a chunk of its own.
 */
import { Alert, Box, LinearProgress, Tab, Tabs } from '@mui/material';
import { Suspense, lazy, useMemo, useState } from 'react';
import { adminApi } from '../../api/admin';
import type { Session } from '../session';
import { Monitoring } from './Monitoring';
import { DeadLetters } from './DeadLetters';
import { Flags } from './Flags';
import { Locations } from './Locations';
import { Reports } from './Reports';
import { ShiftRule } from './ShiftRule';
import { Today } from './Today';
import { Staff } from './Staff';
import { Webhooks } from './Webhooks';

const Audit = lazy(() => import('./Audit'));

type Page = 'today' | 'shift-rule' | 'monitoring' | 'reports' | 'flags' | 'locations' | 'staff' | 'webhooks' | 'dead-letters' | 'audit';

const PAGES: { page: Page; label: string; adminOnly?: boolean }[] = [
  { page: 'today', label: 'Today' },
  { page: 'reports', label: 'Reports' },
  { page: 'flags', label: 'Flags' },
  { page: 'locations', label: 'Locations' },
  { page: 'staff', label: 'Staff' },
  { page: 'shift-rule', label: 'Shift close' },
  { page: 'monitoring', label: 'Monitoring' },
  { page: 'webhooks', label: 'Webhooks', adminOnly: true },
  { page: 'dead-letters', label: 'Dead letters', adminOnly: true },
  { page: 'audit', label: 'Audit log', adminOnly: true },
];

interface Props {
  session: Session;
  online: boolean;
  notify: (message: string, severity?: 'success' | 'info' | 'warning' | 'error') => void;
}

export default function BackOffice({ session, online, notify }: Props) {
  const [page, setPage] = useState<Page>('today');
  const isAdmin = session.role === 'admin';
  const api = useMemo(() => adminApi({ baseUrl: location.origin, token: session.token }), [session.token]);
  if (!online) {
    return (
      <Alert severity="info" data-testid="office-offline">
        The back office needs the network: it shows the server&apos;s figures. Selling, orders and shifts keep working offline.
      </Alert>
    );
  }
  if (!session.token) {
    return (
      <Alert severity="info" data-testid="office-offline">
        You signed in while the till was offline: lock and sign in again to use the back office.
      </Alert>
    );
  }
  return (
    <Box>
      <Tabs value={page} onChange={(_, v: Page) => setPage(v)} variant="scrollable" allowScrollButtonsMobile aria-label="Back-office pages" sx={{ mb: 2 }}>
        {PAGES.filter((p) => isAdmin || !p.adminOnly).map((p) => (
          <Tab key={p.page} value={p.page} label={p.label} data-testid={`office-${p.page}`} />
        ))}
      </Tabs>
      {page === 'today' && <Today api={api} />}
      {page === 'monitoring' && <Monitoring api={api} />}
      {page === 'reports' && <Reports api={api} />}
      {page === 'flags' && <Flags api={api} />}
      {page === 'locations' && <Locations api={api} />}
      {page === 'staff' && <Staff api={api} isAdmin={isAdmin} notify={notify} />}
      {page === 'shift-rule' && <ShiftRule api={api} notify={notify} />}
      {page === 'webhooks' && isAdmin && <Webhooks api={api} notify={notify} />}
      {page === 'dead-letters' && isAdmin && <DeadLetters api={api} notify={notify} />}
      {page === 'audit' && isAdmin && (
        <Suspense fallback={<LinearProgress aria-label="Loading the audit log" />}>
          <Audit api={api} />
        </Suspense>
      )}
    </Box>
  );
}
