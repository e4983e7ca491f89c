// A labelled native <select multiple> with the counts in its options, a search box that narrows
// the options (chosen ones always stay), and a removable chip per chosen value. Native, so the
// keyboard, screen readers and test tools all know how to use it.

import { useState } from 'preact/hooks';
import { formatCount } from '../lib/format';

export interface PickerOption {
  value: string;
  label: string;
  /** Actions in scope; null for a chosen value the facets no longer list. */
  count: number | null;
  /** Shown on hover (a user's e-mail address). */
  title?: string;
}

interface Props {
  id: string;
  label: string;
  options: PickerOption[];
  selected: string[];
  /** Show the search box; long lists (users) need it. */
  searchable: boolean;
  /** The name of a chosen value the facets do not list (a user id has no name of its own). */
  unlisted?: (value: string) => string;
  onChange: (values: string[]) => void;
}

export function MultiSelect({ id, label, options, selected, searchable, unlisted, onChange }: Props) {
  const [query, setQuery] = useState('');
  const needle = query.trim().toLowerCase();
  const chosen = new Set(selected);

  // The facets may not list a chosen value (none left in scope, or beyond the facets' limit):
  // it stays an option so that it can be seen and removed.
  const known = new Set(options.map((o) => o.value));
  const all: PickerOption[] = [
    ...options,
    ...selected.filter((v) => !known.has(v)).map((value) => ({ value, label: unlisted?.(value) ?? value, count: null })),
  ];
  const visible = all.filter(
    (o) => chosen.has(o.value) || needle === '' || o.label.toLowerCase().includes(needle) || o.value.toLowerCase().includes(needle),
  );
  const labelOf = (value: string): string => all.find((o) => o.value === value)?.label ?? value;

  return (
    <div class="field picker">
      <label for={id}>{label}</label>
      {searchable && (
        <input
          type="search"
          class="picker-search"
          aria-label={`Search ${label.toLowerCase()}`}
          aria-controls={id}
          placeholder="Type to search"
          value={query}
          onInput={(event) => {
            setQuery(event.currentTarget.value);
          }}
        />
      )}
      <select
        id={id}
        multiple
        size={6}
        aria-describedby={`${id}-hint`}
        onChange={(event) => {
          onChange(Array.from(event.currentTarget.selectedOptions, (o) => o.value));
        }}
      >
        {visible.map((o) => (
          <option key={o.value} value={o.value} selected={chosen.has(o.value)} title={o.title}>
            {o.count === null ? o.label : `${o.label} (${formatCount(o.count)})`}
          </option>
        ))}
      </select>
      <p id={`${id}-hint`} class="hint">
        {selected.length === 0
          ? all.length === 0
            ? 'None in this window'
            : 'All; Ctrl or ⌘ to choose several'
          : `${formatCount(selected.length)} chosen`}
      </p>
      {selected.length > 0 && (
        <ul class="chips" aria-label={`Chosen ${label.toLowerCase()}`}>
          {selected.map((value) => (
            <li key={value}>
              <button
                type="button"
                class="chip"
                aria-label={`Remove ${labelOf(value)}`}
                onClick={() => {
                  onChange(selected.filter((v) => v !== value));
                }}
              >
                {labelOf(value)} <span aria-hidden="true">×</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
