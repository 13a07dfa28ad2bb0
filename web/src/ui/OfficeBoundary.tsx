/** Keeps the till running when the back office cannot load (its chunk needs the network the first time). */
import { Alert } from '@mui/material';
import { Component, type ReactNode } from 'react';

interface State {
  error: string | null;
}

export class OfficeBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  render(): ReactNode {
    if (this.state.error !== null) {
      return (
        <Alert severity="warning" data-testid="office-offline">
          The back office could not load ({this.state.error}): it needs the network. Selling, orders and shifts keep working; reload the page once online.
        </Alert>
      );
    }
    return this.props.children;
  }
}
