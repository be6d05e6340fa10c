/** Keeps one view's rendering bug from blanking the whole dashboard: shows it, offers a retry. */
import { Component, type ReactNode } from 'react';
import { ErrorBox } from './Status.tsx';

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey?: string }, { error: Error | null; key?: string }> {
  override state: { error: Error | null; key?: string } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: { resetKey?: string }, state: { error: Error | null; key?: string }) {
    // A different view (or model) gets a fresh start.
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override render() {
    if (this.state.error) return <ErrorBox error={`this view failed to render: ${this.state.error.message}`} onRetry={() => this.setState({ error: null })} />;
    return this.props.children;
  }
}
