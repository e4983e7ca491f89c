// The log's Live toggle as a hook: one LiveFeed (src/lib/live.ts) per token and committed
// filter, started while the toggle is on. A new filter is a new feed from now (the dashboard
// request it sends shows everything up to now), so its rows start empty.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { searchFromFilter, type Filter } from '../lib/filter';
import { IDLE, LiveFeed, liveScope, liveUrl, type LiveState } from '../lib/live';

export interface Live extends LiveState {
  /** Whether the toggle shows as on: asked for, and not stopped by the gateway. */
  pressed: boolean;
  toggle: () => void;
}

export function useLiveFeed(token: string, filter: Filter): Live {
  const [on, setOn] = useState(false);
  const [state, setState] = useState<LiveState>(IDLE);
  const key = searchFromFilter(filter);
  // Keyed by the filter's URL form, so an equal filter keeps its feed.
  const feed = useMemo(
    () => new LiveFeed({ url: liveUrl(window.location), token, scope: liveScope(filter), onChange: setState }),
    [token, key],
  );

  useEffect(() => {
    setState(feed.current);
    if (!on) return undefined;
    feed.start();
    return () => {
      feed.stop();
    };
  }, [feed, on]);

  const pressed = on && state.status.kind !== 'stopped';
  return {
    ...state,
    pressed,
    toggle: () => {
      if (pressed) setOn(false);
      else if (on) feed.start(); // stopped by the gateway: try again
      else setOn(true);
    },
  };
}
