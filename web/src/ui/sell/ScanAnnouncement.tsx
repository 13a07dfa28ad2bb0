/** What the last scan or tap did, said to a screen reader; the highlighted cart line is the sighted cashier's cue. */
import { Box } from '@mui/material';

// Lengths as strings: MUI reads width 1 as 100 % and m -1 as -8 px (the tablet overflowed by 8 px).
const SCREEN_READER_ONLY = { position: 'absolute', width: '1px', height: '1px', overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap', margin: '-1px', padding: 0, border: 0 } as const;

export function ScanAnnouncement({ announcement }: { announcement: string }) {
  return (
    <Box role="status" aria-live="polite" data-testid="scan-announcement" sx={SCREEN_READER_ONLY}>
      {announcement}
    </Box>
  );
}
