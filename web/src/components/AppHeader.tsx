// The page's title bar: the title, the tools (Export CSV), the Playground link and Sign out.

import { useEffect, useRef } from 'preact/hooks';

interface Props {
  loading: boolean;
  /** Whether an export is being downloaded. */
  exporting: boolean;
  onExport: () => void;
  onSignOut: () => void;
}

export function AppHeader({ loading, exporting, onExport, onSignOut }: Props) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Signing in removes the focused form: start the keyboard and screen readers at the title.
    if (document.activeElement === document.body) title.current?.focus();
  }, []);

  return (
    <header class="app-header">
      <h1 ref={title} tabIndex={-1}>
        Audit log
      </h1>
      <p class="status" role="status">
        {loading ? 'Loading…' : ''}
      </p>
      {/* The tools: "Export CSV" (the log's "Live" toggle is in its own header, by the rows it adds). */}
      <div class="toolbar-slot" data-slot="toolbar">
        <button type="button" onClick={onExport} disabled={exporting} aria-busy={exporting}>
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>
      </div>
      <nav class="header-nav" aria-label="Account">
        <a href="/graphql">Playground</a>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </nav>
    </header>
  );
}
