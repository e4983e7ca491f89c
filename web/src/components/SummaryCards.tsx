// The four figures above the chart, each a labelled region whose text holds its figure.

import type { ComponentChildren } from 'preact';
import type { DashboardQuery } from '../generated/graphql';
import { formatActions, formatCount } from '../lib/format';

type Insights = DashboardQuery['activityInsights'];

function Card({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export function SummaryCards({ insights }: { insights: Insights | null }) {
  const pending = <p class="figure muted">…</p>;
  return (
    <div class="cards">
      <Card id="card-actors" title="Unique actors">
        {insights ? <p class="figure">{formatCount(insights.uniqueActors)}</p> : pending}
      </Card>
      <Card id="card-actions" title="Total actions">
        {insights ? <p class="figure">{formatCount(insights.totalActions)}</p> : pending}
      </Card>
      <Card id="card-top-actor" title="Top actor">
        {insights === null ? (
          pending
        ) : insights.topActor ? (
          <>
            <p class="figure figure-name" title={insights.topActor.email}>
              {insights.topActor.name}
            </p>
            <p class="figure-detail">{formatActions(insights.topActor.actionCount)}</p>
          </>
        ) : (
          <p class="figure muted">None</p>
        )}
      </Card>
      <Card id="card-top-type" title="Top entity type">
        {insights === null ? (
          pending
        ) : insights.topEntityType ? (
          <>
            <p class="figure figure-name">{insights.topEntityType.objectType}</p>
            <p class="figure-detail">{formatActions(insights.topEntityType.count)}</p>
          </>
        ) : (
          <p class="figure muted">None</p>
        )}
      </Card>
    </div>
  );
}
