// Asks for the API token. Nothing is sent from here: the audit page's first request checks it.

import { useState } from 'preact/hooks';

interface Props {
  /** Why the user is back here (a token refused), shown as an alert. */
  message: string | null;
  onSignIn: (token: string) => void;
}

// A token travels in an HTTP header: printable ASCII without spaces.
const TOKEN = /^[\x21-\x7e]+$/;

export function SignIn({ message, onSignIn }: Props) {
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(false);
  const shown = invalid ? 'That is not an API token: a token has no spaces or special characters.' : message;

  return (
    <main class="signin" id="main">
      <h1>Audit log</h1>
      <form
        class="signin-form"
        aria-labelledby="signin-title"
        onSubmit={(event) => {
          event.preventDefault();
          const token = value.trim();
          if (token === '') return;
          if (TOKEN.test(token)) onSignIn(token);
          else setInvalid(true);
        }}
      >
        <h2 id="signin-title">Sign in</h2>
        <p>Use an API token of an Admin account. It is kept in this tab only, until you sign out or close it.</p>
        {shown !== null && (
          <p class="signin-error" role="alert">
            {shown}
          </p>
        )}
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          autoFocus
          value={value}
          onInput={(event) => {
            setValue(event.currentTarget.value);
            setInvalid(false);
          }}
        />
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
      <p class="signin-links">
        <a href="/graphql">Playground</a>
      </p>
    </main>
  );
}
