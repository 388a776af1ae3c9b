/**
 * The Grafana dashboard shipped in docs/grafana/ reads only what the bot exports: every panel's
 * query names metrics that a running bot serves at GET /metrics, with label names those metrics
 * carry and label values they take. A renamed metric or label fails here, not on someone's wall screen.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startHarness, useHarnessCleanup } from '../support/botHarness.ts';
import { eventually } from '../support/eventually.ts';
import { parseSamples, type Sample } from '../support/promText.ts';

const DASHBOARD = fileURLToPath(new URL('../../docs/grafana/leadrelay-dashboard.json', import.meta.url));

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { __inputs: { name: string; pluginId: string }[]; panels: Panel[]; uid: string };
const queryPanels = dashboard.panels.filter((panel) => panel.type !== 'row');

/** The metric names a query reads (leadrelay's own and Node's process metrics). */
function metricsIn(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:leadrelay|process|nodejs)_[a-z0-9_]+)\b/g)].map((match) => match[1] as string))];
}

/** A histogram's series name (`_bucket`, `_sum`, `_count`) as its family name. */
function family(name: string, families: ReadonlySet<string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.has(name) ? name : base;
}

/** `metric{label="value", other!="x"}` → the matchers of each metric; `by (a, b)` → grouping labels. */
function matchersIn(expr: string): { metric: string; label: string; op: string; value: string }[] {
  return [...expr.matchAll(/\b((?:leadrelay|process|nodejs)_[a-z0-9_]+)\{([^}]*)\}/g)].flatMap((match) =>
    [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((m) => ({ metric: match[1] as string, label: m[1] as string, op: m[2] as string, value: m[3] as string })),
  );
}

function groupingIn(expr: string): string[] {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((match) => (match[1] ?? '').split(',').map((label) => label.trim()).filter(Boolean));
}

useHarnessCleanup();

describe('docs/grafana/leadrelay-dashboard.json', () => {
  it('is an importable dashboard asking for a Prometheus data source, with the panels operations needs', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    expect(dashboard.uid).toBe('leadrelay');
    const titles = queryPanels.map((panel) => panel.title);
    for (const title of ['Leads in, by source', 'Time to first offer', 'Time to claim', 'SLA: claimed in time vs expired', 'Escalations', 'Outbox backlog and age', 'Slack errors by method']) {
      expect(titles).toContain(title);
    }
    for (const panel of queryPanels) {
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(metricsIn(target.expr), `${panel.title}: ${target.expr}`).not.toEqual([]);
    }
    const quantiles = (title: string) => queryPanels.find((panel) => panel.title === title)?.targets?.map((target) => /histogram_quantile\((0\.\d+)/.exec(target.expr)?.[1]);
    expect(quantiles('Time to first offer')).toEqual(['0.5', '0.9']);
    expect(quantiles('Time to claim')).toEqual(['0.5', '0.9']);
  });

  it('queries only metrics, labels and label values that a running bot exports at GET /metrics', async () => {
    const t = await startHarness({
      configYaml: `
reps: [{ id: U0ALICE }, { id: U0BOB }]
teams: [{ id: sales, manager: U0ALICE, members: [U0ALICE, U0BOB] }]
fallback: { team: sales }
`,
      users: ['U0ALICE', 'U0BOB'],
    });
    // Some traffic, so that the series with labels set at first use (Slack methods) exist.
    const id = await t.postLead({ email: 'jane@acme.com', source: 'form' });
    const card = t.slack.lastMessage('U0ALICE');
    if (card) await t.slack.blockAction({ userId: 'U0ALICE', actionId: 'claim_lead', message: { channel: card.channel, ts: card.ts } });
    await eventually(async () => (await t.lead(id)).state === 'claimed');
    await t.bot.outbox.drain();

    const text = await t.metrics();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((match) => match[1] as string));
    const samples = parseSamples(text);
    const samplesOf = (name: string): Sample[] => samples.filter((sample) => family(sample.name, families) === name);

    const problems: string[] = [];
    for (const panel of queryPanels) {
      for (const target of panel.targets ?? []) {
        const where = `${panel.title} (${target.refId})`;
        const metrics = metricsIn(target.expr).map((name) => family(name, families));
        for (const metric of metrics) if (!families.has(metric)) problems.push(`${where}: ${metric} is not exported`);
        for (const matcher of matchersIn(target.expr)) {
          const series = samplesOf(family(matcher.metric, families));
          if (series.length === 0) continue;
          if (!series.some((sample) => matcher.label in sample.labels)) problems.push(`${where}: ${matcher.metric} has no label ${matcher.label}`);
          const values = new Set(series.map((sample) => sample.labels[matcher.label]));
          const wanted = matcher.op === '=' ? [matcher.value] : matcher.op === '=~' ? matcher.value.split('|') : [];
          for (const value of wanted) if (!values.has(value)) problems.push(`${where}: ${matcher.metric}{${matcher.label}="${value}"} never appears (it has ${[...values].join(', ')})`);
        }
        for (const label of groupingIn(target.expr)) {
          const series = metrics.flatMap((metric) => samplesOf(metric));
          if (series.length > 0 && !series.some((sample) => label in sample.labels)) problems.push(`${where}: no series of ${metrics.join(', ')} has the label ${label}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // The check did look at real series, not at an empty scrape.
    expect(samplesOf('leadrelay_slack_api_calls_total').length).toBeGreaterThan(0);
    expect(samplesOf('leadrelay_time_to_claim_seconds').some((sample) => sample.labels.le !== undefined)).toBe(true);
  });
});
