// Starts GraphiQL on this gateway's /graphql with the dashboard query. Every data request needs
// an administrator's token: the playground shares the audit page's sign-in (the token is kept in
// this tab's sessionStorage under TOKEN_KEY, never in the URL or localStorage), so a signed-in
// administrator gets GraphiQL with the Authorization header filled and the schema and docs
// loaded. Without a token it asks for one and says how to get one, instead of greeting the
// newcomer with the error of an introspection it could not authorize.
const TOKEN_KEY = 'audit-gateway.token';

const dashboard = `# Cards, chart and the first page of activity, from one $filter.
query Dashboard($filter: ActivityFilter, $page: PageInput) {
  activityInsights(filter: $filter) {
    totalActions
    uniqueActors
    topActor { id name userName email actionCount }
    topEntityType { objectType count }
    actionsPerDay { date userCount systemCount }
  }
  activity(filter: $filter, page: $page) {
    total page size pages
    items { id verb objectType objectId transaction { id issuedAt user { id name userName email } } }
  }
}
`;

const root = document.getElementById('graphiql');

function startGraphiql(token) {
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      // The token goes with every request, the schema's introspection on load included (which
      // does not read the headers pane); the pane shows it, and what is typed there wins.
      fetcher: GraphiQL.createFetcher({
        url: new URL('/graphql', window.location.origin).toString(),
        headers: { Authorization: `Bearer ${token}` },
      }),
      defaultQuery: dashboard,
      variables: JSON.stringify({ filter: { timeframe: 'WEEK' }, page: { page: 1, size: 20 } }, null, 2),
      defaultHeaders: JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2),
      defaultEditorToolsVisibility: 'headers',
    }),
  );
}

/** Asks for a token, keeps it for this tab (as the audit page does), then starts GraphiQL. */
function askForToken() {
  root.textContent = '';
  const form = document.createElement('form');
  form.className = 'sign-in';
  form.innerHTML = `
    <h1>audit-gateway · GraphiQL</h1>
    <p>Queries need an administrator's API token. <a href="/">Sign in on the audit page</a> and
    come back, or paste a token here. To make one:
    <code>audit-gateway token create --user &lt;an Admin's user name&gt;</code>
    (the demo prints one when it starts).</p>
    <label for="token">API token</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">Sign in</button>`;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = form.elements.token.value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    root.textContent = '';
    startGraphiql(token);
  });
  root.append(form);
  form.elements.token.focus();
}

const token = sessionStorage.getItem(TOKEN_KEY);
if (token) {
  startGraphiql(token);
} else {
  askForToken();
}
