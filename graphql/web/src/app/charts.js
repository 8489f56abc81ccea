// Charts drawn with Observable Plot (SVG). Each function returns an element
// with an accessible label; the numbers it shows are also put in data-*
// attributes so tests and screen readers can read what was drawn.
import * as Plot from '@observablehq/plot';
import { h } from './core.js';

const WIDTH = 640;

function figure(label, svg, extra) {
  // Plot labels its mark groups with aria-label, which ARIA forbids on a <g>
  // without a role; the figure's own label describes the chart instead.
  for (const el of svg.querySelectorAll('[aria-label], [aria-description]')) {
    el.removeAttribute('aria-label');
    el.removeAttribute('aria-description');
  }
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  return h('figure', { class: 'rx-figure', ...extra }, svg);
}

// funnel draws attrition: one bar per step, patients remaining after it.
export function funnel(steps) {
  const data = steps.map((s, i) => ({ i, label: `${i + 1}. ${s.rule}`.slice(0, 60), remaining: s.remaining ?? 0, display: s.display, suppressed: s.remaining === null }));
  const svg = Plot.plot({
    width: WIDTH, height: 40 + 34 * data.length, marginLeft: 260, marginRight: 60,
    x: { label: 'patients remaining', grid: true },
    y: { label: null, domain: data.map((d) => d.label) },
    marks: [
      Plot.barX(data, { x: 'remaining', y: 'label', fill: (d) => (d.suppressed ? '#d0d7de' : '#0969da') }),
      Plot.text(data, { x: 'remaining', y: 'label', text: 'display', dx: 4, textAnchor: 'start', fill: '#1f2328' }),
      Plot.ruleX([0]),
    ],
  });
  return figure('Attrition funnel: patients remaining after each rule', svg, { 'data-chart': 'funnel', 'data-values': JSON.stringify(data.map((d) => d.display)) });
}

// breakdown draws one dimension of a breakdown; suppressed cells are drawn as
// hatched outline bars at the threshold with their "<k" label.
export function breakdown(dimension, cells, threshold) {
  const data = cells.map((c) => ({ value: c.value, count: c.count ?? threshold, display: c.display, suppressed: c.count === null }));
  const svg = Plot.plot({
    width: 300, height: 220, marginBottom: 50,
    x: { label: dimension, tickRotate: -30 },
    y: { label: 'patients', grid: true },
    marks: [
      Plot.barY(data.filter((d) => !d.suppressed), { x: 'value', y: 'count', fill: '#1a7f37' }),
      Plot.barY(data.filter((d) => d.suppressed), { x: 'value', y: 'count', fill: '#ffffff', stroke: '#8c959f', strokeDasharray: '3,2' }),
      Plot.text(data, { x: 'value', y: 'count', text: 'display', dy: -6, fill: (d) => (d.suppressed ? '#6e7781' : '#1f2328') }),
      Plot.ruleY([0]),
    ],
  });
  return figure(`Breakdown by ${dimension}; dashed bars are suppressed cells`, svg, { 'data-chart': `breakdown-${dimension}`, 'data-suppressed': data.filter((d) => d.suppressed).length });
}

// curves draws simulated arms: the observable by day with the target band,
// and the doses as bars below.
export function curves(model, arms) {
  const pts = [];
  const doses = [];
  for (const a of arms) {
    for (const p of a.sim.points) pts.push({ arm: a.name, day: p.hour / 24, y: p.observable });
    for (const d of a.sim.doses) doses.push({ arm: a.name, day: d.hour / 24, amount: Number(d.amount) });
  }
  const days = Math.max(1, ...pts.map((p) => p.day));
  const top = Plot.plot({
    width: WIDTH, height: 300, marginLeft: 50, color: { legend: true },
    x: { label: 'day', domain: [0, days] },
    y: { label: model.observable, grid: true },
    marks: [
      Plot.rectY([{ x1: 0, x2: days, y1: model.targetLow, y2: model.targetHigh }], { x1: 'x1', x2: 'x2', y1: 'y1', y2: 'y2', fill: '#2da44e', fillOpacity: 0.15 }),
      Plot.lineY(pts, { x: 'day', y: 'y', stroke: 'arm', strokeWidth: 1.6 }),
      Plot.dot(pts, { x: 'day', y: 'y', fill: 'arm', r: 1.5 }),
    ],
  });
  // Doses side by side within their day (explicit y1/y2: Plot would stack them).
  const names = arms.map((a) => a.name);
  const w = 0.8 / names.length;
  const bottom = Plot.plot({
    width: WIDTH, height: 130, marginLeft: 50, color: { type: 'categorical', domain: names },
    x: { label: 'day', domain: [0, days] },
    y: { label: `dose (${model.doseUnit})`, grid: true },
    marks: [Plot.rectY(doses, { x1: (d) => d.day + w * names.indexOf(d.arm), x2: (d) => d.day + w * (names.indexOf(d.arm) + 1), y1: 0, y2: 'amount', fill: 'arm' })],
  });
  return h('div', { class: 'rx-curves', 'data-chart': 'curve', 'data-points': pts.length, 'data-arms': arms.length },
    figure(`${model.observable} by day with target band ${model.targetLow}–${model.targetHigh}`, top),
    figure('Doses by day', bottom));
}

// learning draws training metrics by iteration: mean return and time in range,
// each on its own axis.
export function learning(metrics) {
  const panel = (label, key, color) => Plot.plot({
    width: WIDTH / 2 - 10, height: 200, x: { label: 'iteration' }, y: { label, grid: true },
    marks: [Plot.lineY(metrics, { x: 'iteration', y: key, stroke: color, marker: 'circle' })],
  });
  return h('div', { class: 'rx-row', 'data-chart': 'learning', 'data-points': metrics.length },
    figure('Mean return by iteration', panel('mean return', 'meanReturn', '#0969da')),
    figure('Time in range by iteration', panel('time in range', 'timeInRange', '#1a7f37')));
}

// forest draws time in range per arm with its 95 % interval.
export function forest(arms) {
  const svg = Plot.plot({
    width: WIDTH, height: 50 + 36 * arms.length, marginLeft: 160,
    x: { label: 'time in range (fraction)', domain: [0, 1], grid: true },
    y: { label: null, domain: arms.map((a) => a.name) },
    marks: [
      Plot.ruleY(arms, { y: 'name', x1: 'timeInRangeLow95', x2: 'timeInRangeHigh95', strokeWidth: 2 }),
      Plot.dot(arms, { y: 'name', x: 'timeInRange', fill: '#0969da', r: 5 }),
      Plot.text(arms, { y: 'name', x: 'timeInRangeHigh95', text: (a) => a.timeInRange.toFixed(3), dx: 8, textAnchor: 'start' }),
    ],
  });
  return figure('Forest plot of time in range per arm with 95% intervals', svg, { 'data-chart': 'forest', 'data-arms': arms.length });
}

// heatmap draws a policy's dose table: median dose by day window and band of
// the last measurement, one panel per patient group.
export function heatmap(table) {
  const band = (c) => `${c.low ?? '−∞'}–${c.high ?? '∞'}`;
  const cells = table.cells.map((c) => ({ ...c, window: `${c.dayFrom}–${c.dayTo}`, band: band(c) }));
  const order = (key, rank) => [...new Map(cells.map((c) => [c[key], rank(c)])).entries()].sort((a, b) => a[1] - b[1]).map((e) => e[0]);
  const windows = order('window', (c) => c.dayFrom);
  const bands = order('band', (c) => (c.low ?? -Infinity));
  const groups = [...new Set(cells.map((c) => c.group))];
  const max = Math.max(...cells.map((c) => c.medianDose));
  const svg = Plot.plot({
    width: WIDTH + 120, height: 60 + groups.length * (bands.length * 22 + 20), marginLeft: 70, marginRight: 130,
    color: { scheme: 'blues', legend: true, label: `median dose (${table.unit})` },
    fy: { label: null, domain: groups }, x: { label: 'day window', domain: windows }, y: { label: `last ${table.observable}`, domain: bands },
    marks: [
      Plot.cell(cells, { x: 'window', y: 'band', fy: 'group', fill: 'medianDose', inset: 0.5 }),
      Plot.text(cells, { x: 'window', y: 'band', fy: 'group', text: (c) => String(c.medianDose), fill: (c) => (c.medianDose > max * 0.6 ? 'white' : 'black') }),
    ],
  });
  return figure(`Dose table heat map: median ${table.unit} by day window, last ${table.observable} and patient group`, svg, { 'data-chart': 'heatmap', 'data-cells': cells.length });
}

// intervals draws each model's prediction with its interval, one small chart per
// model (models predict on different scales: a probability, a log solubility…).
export function intervals(rows) {
  const data = rows.filter((r) => r.value !== null && r.value !== undefined);
  return h('div', { 'data-chart': 'intervals', 'data-rows': data.length }, data.map((r) => {
    const lo = Math.min(r.low ?? r.value, r.value);
    const hi = Math.max(r.high ?? r.value, r.value);
    const pad = (hi - lo) * 0.5 || Math.abs(r.value) * 0.1 || 1;
    const svg = Plot.plot({
      width: WIDTH, height: 60, marginLeft: 200,
      x: { label: null, domain: [lo - pad, hi + pad], grid: true }, y: { label: null, domain: [r.model] },
      marks: [
        Plot.ruleY([r], { y: () => r.model, x1: 'low', x2: 'high', strokeWidth: 3, stroke: '#8250df' }),
        Plot.dot([r], { y: () => r.model, x: 'value', fill: '#1f2328', r: 4 }),
      ],
    });
    return figure(`${r.model}: ${r.value.toFixed(3)}, interval ${r.low?.toFixed(3)} to ${r.high?.toFixed(3)}`, svg);
  }));
}

// subgroupForest draws time in range per arm within each subgroup, one panel per subgroup.
export function subgroupForest(rows) {
  const data = rows.map((r) => ({ ...r, group: `${r.dimension}: ${r.value}` }));
  const groups = [...new Set(data.map((d) => d.group))];
  const arms = [...new Set(data.map((d) => d.arm))];
  const svg = Plot.plot({
    width: WIDTH, height: 40 + groups.length * (arms.length * 16 + 10), marginLeft: 110, marginRight: 150,
    x: { label: 'time in range (fraction)', domain: [0, 1], grid: true },
    y: { label: null, domain: arms }, fy: { label: null, domain: groups },
    marks: [
      Plot.ruleY(data, { y: 'arm', fy: 'group', x1: 'timeInRangeLow95', x2: 'timeInRangeHigh95' }),
      Plot.dot(data, { y: 'arm', fy: 'group', x: 'timeInRange', fill: (d) => (d.worseThanBest ? '#cf222e' : '#0969da'), r: 3.5 }),
    ],
  });
  return figure('Time in range per arm within each subgroup; red where a policy is below the best baseline', svg, { 'data-chart': 'subgroups', 'data-rows': data.length });
}
