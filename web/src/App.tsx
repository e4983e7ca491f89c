// Signed out: the sign-in form. Signed in: the audit page. The token decides which; a 401 or a
// 403 from any request forgets it and comes back here with the reason.

import { useState } from 'preact/hooks';
import { AuditPage } from './components/AuditPage';
import { SignIn } from './components/SignIn';
import { forgetToken, readToken, saveToken } from './lib/token';
import type { AuthProblem } from './session';

const REASONS: Record<AuthProblem, string> = {
  unauthenticated: 'The token was not accepted: it is unknown, expired or revoked.',
  forbidden: 'This token’s account is not an Admin: only Admins may read the audit log.',
};

export function App() {
  const [token, setToken] = useState<string | null>(readToken);
  const [reason, setReason] = useState<string | null>(null);

  if (token === null) {
    return (
      <SignIn
        message={reason}
        onSignIn={(value) => {
          // No request here: the page's first request is what checks the token.
          saveToken(value);
          setReason(null);
          setToken(value);
        }}
      />
    );
  }

  return (
    <AuditPage
      key={token}
      token={token}
      onSignOut={() => {
        forgetToken();
        setReason(null);
        setToken(null);
      }}
      onAuthProblem={(kind) => {
        forgetToken();
        setReason(REASONS[kind]);
        setToken(null);
      }}
    />
  );
}
