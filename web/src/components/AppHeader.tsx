// The page's title bar: the title, a slot for future tools, the Playground link and Sign out.

import { useEffect, useRef } from 'preact/hooks';

interface Props {
  loading: boolean;
  onSignOut: () => void;
}

export function AppHeader({ loading, onSignOut }: Props) {
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
      {/* Reserved for the "Export CSV" and "Live" controls to come; empty until then. */}
      <div class="toolbar-slot" data-slot="toolbar" />
      <nav class="header-nav" aria-label="Account">
        <a href="/graphql">Playground</a>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </nav>
    </header>
  );
}
