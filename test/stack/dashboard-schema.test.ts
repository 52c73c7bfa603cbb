/**
 * The Grafana dashboard against Grafana's own types (@grafana/schema, the version of the Grafana
 * the compose stack runs) and every PromQL expression in it against Prometheus' own parser
 * (@prometheus-io/lezer-promql). No Grafana server is needed: the dashboard, panel by panel,
 * becomes TypeScript object literals typed with the schema, and the compiler's excess-property
 * and type checks report what Grafana does not know.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import ts from 'typescript';
import { ROOT } from '../support/exporter-process';

const DASHBOARD_FILE = join(ROOT, 'grafana', 'dashboards', 'itniotech.json');

/** The schema module of each panel type the dashboard uses; a new type needs its line here. */
const PANEL_SCHEMAS: Record<string, string> = {
  stat: 'stat/panelcfg/x/StatPanelCfg_types.gen',
  timeseries: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen',
  'state-timeline': 'statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen',
  table: 'table/panelcfg/x/TablePanelCfg_types.gen',
  text: 'text/panelcfg/x/TextPanelCfg_types.gen',
};

interface Panel {
  type: string;
  title?: string;
  panels?: Panel[];
  targets?: Array<{ expr?: string }>;
}
interface Dashboard {
  panels: Panel[];
  annotations: { list: Array<{ name: string; target?: { expr?: string } }> };
  templating: { list: Array<{ name: string; query?: unknown }> };
  [key: string]: unknown;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

/** The panel type's custom field config, where its schema has one. */
function fieldConfigOf(type: string, module: string): string {
  const file = join(
    ROOT,
    'node_modules',
    '@grafana',
    'schema',
    'dist',
    'esm',
    'raw',
    'composable',
    `${PANEL_SCHEMAS[type]}.d.ts`,
  );
  return /export interface FieldConfig\b/.test(readFileSync(file, 'utf8'))
    ? `${module}.FieldConfig`
    : 'Record<string, unknown>';
}

/** What to check: a description and a TypeScript declaration on one line, so diagnostics map back. */
function declarations(): Array<{ what: string; line: string }> {
  // `__requires` is export metadata for Grafana's import dialog, not part of the dashboard model;
  // panels and annotations are checked one by one below.
  const { panels: _panels, __requires: _requires, ...top } = dashboard;
  const lines = [
    {
      what: 'dashboard',
      line: `export const dashboard: DashboardOf = ${JSON.stringify({ ...top, panels: [], annotations: { list: [] } })};`,
    },
  ];
  panels.forEach((panel, i) => {
    const what = `panel "${panel.title}" (${panel.type})`;
    const { panels: _nested, ...body } = panel;
    if (panel.type === 'row') {
      lines.push({ what, line: `export const p${i}: Json<RowPanel> = ${JSON.stringify({ ...body, panels: [] })};` });
    } else {
      const module = PANEL_SCHEMAS[panel.type] ? `p${i}types` : undefined;
      lines.push({
        what,
        line: module
          ? `export const p${i}: PanelOf<${module}.Options, ${fieldConfigOf(panel.type, module)}> = ${JSON.stringify(body)};`
          : `unknown panel type ${panel.type}`,
      });
    }
  });
  return lines;
}

const PRELUDE = `
import type { AnnotationQuery, Dashboard, DashboardLink, DataQuery, FieldConfig, FieldConfigSource, Panel, RowPanel, VariableModel } from '@grafana/schema';
${panels.map((p, i) => (PANEL_SCHEMAS[p.type] ? `import type * as p${i}types from '@grafana/schema/dist/esm/raw/composable/${PANEL_SCHEMAS[p.type]}';` : '')).join('\n')}
/** Grafana merges options deeply over the defaults. */
type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
/** As JSON holds it: a string enum as its values. */
type Json<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
/** Options and custom field config are merged over the panel's defaults: any subset, no unknown key. */
type PanelOf<O, F> = Json<Omit<Panel, 'options' | 'fieldConfig'> & {
  options?: DeepPartial<O>;
  fieldConfig?: Omit<FieldConfigSource, 'defaults'> & { defaults: Omit<FieldConfig, 'custom'> & { custom?: Partial<F> } };
}>;
/** Grafana fills in a link's unset fields; a query variable keeps its query's text in \`definition\`. */
type DashboardOf = Json<Omit<Dashboard, 'links' | 'templating'> & {
  links?: Array<Partial<DashboardLink>>;
  templating?: { list?: Array<VariableModel & { definition?: string }> };
}>;
/** Grafana's Prometheus annotation support moves expr and step into target; it reads these four from the annotation. */
interface PrometheusAnnotation extends AnnotationQuery<DataQuery & { expr: string; interval?: string }> {
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
}
export const annotations: PrometheusAnnotation[] = [];
`;

function typeErrors(): string[] {
  const items = declarations();
  const prelude = `${PRELUDE}\n${items.map(() => '').join('')}`;
  const firstLine = prelude.split('\n').length;
  const annotationLines = dashboard.annotations.list.map((a, i) => ({
    what: `annotation "${a.name}"`,
    line: `export const a${i}: Json<PrometheusAnnotation> = ${JSON.stringify(a)};`,
  }));
  const all = [...items, ...annotationLines];
  const source = `${prelude}\n${all.map((d) => d.line).join('\n')}\n`;
  const file = join(ROOT, 'test', 'stack', '__dashboard__.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
    if (!d.file || d.file.fileName !== file || d.start === undefined) return message;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line - firstLine;
    return `${all[line]?.what ?? 'prelude'}: ${message}`;
  });
}

/** The text of every error node lezer-promql finds, with a little context. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 15), node.to + 15)}"`);
    },
  });
  return errors;
}

describe('the Grafana dashboard against @grafana/schema and the PromQL parser', () => {
  test('every panel type has its schema here', () => {
    expect(
      panels.filter((p) => p.type !== 'row' && !PANEL_SCHEMAS[p.type]).map((p) => `${p.title}: ${p.type}`),
    ).toEqual([]);
  });

  test("matches Grafana's dashboard, panel, variable and annotation types", () => {
    expect(typeErrors()).toEqual([]);
  }, 60_000);

  test('every variable has a current value', () => {
    const variables = dashboard.templating.list as Array<{
      name: string;
      current?: { text?: unknown; value?: unknown };
    }>;
    expect(
      variables.filter((v) => v.current?.text === undefined || v.current.value === undefined).map((v) => v.name),
    ).toEqual([]);
  });

  test('every PromQL expression parses', () => {
    const exprs = [
      ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
      ...dashboard.annotations.list.map((a) => ({ where: `annotation "${a.name}"`, expr: a.target?.expr })),
      ...dashboard.templating.list.map((v) => ({
        where: `variable ${v.name}`,
        expr: (v.query as { query?: string } | undefined)?.query,
      })),
    ];
    const promql = exprs.filter(
      (e): e is { where: string; expr: string } => typeof e.expr === 'string' && !e.expr.startsWith('label_values('),
    );
    expect(promql.length).toBeGreaterThan(15);
    // Grafana's macros become what Grafana substitutes: a regex and a duration.
    const failures = promql.flatMap(({ where, expr }) =>
      promqlErrors(expr.replace(/\$account/g, '.*').replace(/\$__rate_interval/g, '1m')).map((e) => `${where} ${e}`),
    );
    expect(failures).toEqual([]);
  });

  test('the parser does report broken PromQL', () => {
    expect(promqlErrors('sum(rate(itniotech_requests_total[5m])')).not.toEqual([]);
    expect(promqlErrors('itniotech_up{account=~"a"} == 0')).toEqual([]);
  });
});
