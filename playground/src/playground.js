// Starts GraphiQL on this gateway's /graphql, with the dashboard query and an Authorization
// header to complete: every data request needs an administrator's token.
const dashboard = `# Cards, chart and the first page of activity, from one $filter.
# Paste your token after "Bearer " in the Headers pane below, then run.
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

ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: new URL('/graphql', window.location.origin).toString() }),
    defaultQuery: dashboard,
    variables: JSON.stringify({ filter: { timeframe: 'WEEK' }, page: { page: 1, size: 20 } }, null, 2),
    defaultHeaders: JSON.stringify({ Authorization: 'Bearer ' }, null, 2),
    defaultEditorToolsVisibility: 'headers',
  }),
);
