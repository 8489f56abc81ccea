// /dosing: virtual patient, regimens (arms), simulate → curves; training with
// learning curves; evaluation forest plot; a policy's dose table heat map.
import { h, replace, gql, errorBox, button, section, table, fmt, field, select, pollJob } from './core.js';
import { curves, learning, forest, heatmap, subgroupForest } from './charts.js';

const SIM = `query($i: SimulationInput!){ simulate(input:$i){ timeInRange timeAbove timeBelow points{ hour observable } doses{ hour amount } } }`;

export function dosingPage(root) {
  const out = h('div');
  replace(root, h('h1', null, 'Dosing'), out);
  gql('{ drugModels { id drug description observable targetLow targetHigh doseUnit baselines doseLevels } trainingRuns { id model policy { id } job { state } } }')
    .then(({ drugModels, trainingRuns }) => draw(out, drugModels, trainingRuns))
    .catch((e) => replace(out, errorBox(e)));
}

function draw(out, models, firstRuns) {
  let model = models[0];
  let runs = firstRuns;
  const evalBox = h('div');
  const doseBox = h('div');
  const patient = { age: 60, weightKg: 75, heightCm: 172, sex: 'FEMALE', genotypes: { CYP2C9: '*1/*1', VKORC1: 'G/A' } };
  const arms = new Set();
  let days = 90;
  const armBox = h('div', { class: 'rx-inline', role: 'group', 'aria-label': 'regimens' });
  const fixed = h('input', { type: 'text', placeholder: 'e.g. 5', size: 5, 'aria-label': 'fixed dose' });
  const chart = h('div', { 'aria-live': 'polite' });
  const drawArms = () => {
    const policies = runs.filter((r) => r.model === model.id && r.policy).map((r) => `policy:${r.policy.id}`);
    arms.clear();
    model.baselines.slice(0, 2).forEach((b) => arms.add(`method:${b}`));
    replace(armBox, [...model.baselines.map((b) => `method:${b}`), ...policies].map((a) => {
      const cb = h('input', { type: 'checkbox', checked: arms.has(a), id: `arm-${a}` });
      cb.addEventListener('change', () => (cb.checked ? arms.add(a) : arms.delete(a)));
      return h('label', { class: 'rx-field', for: `arm-${a}` }, cb, h('span', null, a.replace(/^\w+:/, '')));
    }), h('label', { class: 'rx-field' }, h('span', null, `fixed dose (${model.doseUnit})`), fixed));
  };
  const simulate = async () => {
    const regimens = [...arms].map((a) => {
      const [kind, v] = a.split(/:(.*)/);
      return { name: v, regimen: kind === 'method' ? { method: v } : { policyId: v } };
    });
    if (fixed.value.trim()) regimens.push({ name: `fixed ${fixed.value.trim()}`, regimen: { fixedDose: fixed.value.trim() } });
    if (regimens.length === 0) return replace(chart, h('p', null, 'Pick at least one regimen.'));
    replace(chart, h('p', { class: 'rx-muted' }, 'Simulating…'));
    try {
      const sims = await Promise.all(regimens.map((r) => gql(SIM, { i: { model: model.id, days, patient: cleanPatient(patient), regimen: r.regimen } })));
      const res = regimens.map((r, i) => ({ name: r.name, sim: sims[i].simulate }));
      // Draw time: building the charts plus the layout they force, not the requests.
      const t0 = performance.now();
      const drawn = curves(model, res);
      replace(chart, drawn,
        table(['arm', 'time in range', 'above', 'below'], res.map((a) => [a.name, fmt(a.sim.timeInRange, 3), fmt(a.sim.timeAbove, 3), fmt(a.sim.timeBelow, 3)])));
      drawn.getBoundingClientRect();
      drawn.dataset.drawMs = (performance.now() - t0).toFixed(1);
    } catch (e) {
      replace(chart, errorBox(e));
    }
  };
  const pform = h('div', { class: 'rx-inline' },
    ['age', 'weightKg', 'heightCm', 'crclMlMin'].map((k) => field(k, { type: 'number', value: patient[k] ?? '', step: 'any', size: 6 }, (v) => {
      if (v === '') delete patient[k];
      else patient[k] = Number(v);
    })),
    select('sex', [['FEMALE', 'female'], ['MALE', 'male']], patient.sex, (v) => (patient.sex = v)),
    field('genotypes (JSON)', { type: 'text', value: JSON.stringify(patient.genotypes), size: 36 }, (v) => {
      try { patient.genotypes = JSON.parse(v); } catch { /* keep the last valid */ }
    }),
    field('amiodarone', { type: 'checkbox' }, (v) => (patient.amiodarone = v)),
    field('enzyme inducer', { type: 'checkbox' }, (v) => (patient.enzymeInducer = v)));
  const modelSel = select('drug model', models.map((m) => [m.id, `${m.drug} (${m.observable})`]), model.id, (v) => {
    model = models.find((m) => m.id === v);
    drawArms();
  });
  drawArms();
  replace(out,
    section('Virtual patient', h('div', { class: 'rx-inline' }, modelSel, field('days', { type: 'number', value: days, size: 4 }, (v) => (days = Number(v)))), pform),
    section('Regimens', armBox, button('Simulate', simulate, { class: 'rx-primary' }), chart),
    trainingSection(() => model, () => refreshPolicies()),
    evalBox, doseBox);
  // After a training run ends, the policy lists (regimens, evaluation, dose table) are redrawn.
  const refreshPolicies = async () => {
    try {
      runs = (await gql('{ trainingRuns { id model policy { id } job { state } } }')).trainingRuns;
    } catch (e) {
      return;
    }
    drawArms();
    replace(evalBox, evaluationSection(() => model, runs));
    replace(doseBox, doseTableSection(runs));
  };
  replace(evalBox, evaluationSection(() => model, runs));
  replace(doseBox, doseTableSection(runs));
  simulate();
}

function cleanPatient(p) {
  const out = { ...p };
  for (const k of Object.keys(out)) if (out[k] === undefined || Number.isNaN(out[k])) delete out[k];
  return out;
}

function trainingSection(getModel, onDone) {
  const box = h('div', { 'aria-live': 'polite' });
  let iterations = 20;
  let size = 64;
  let current = null;
  const start = async () => {
    try {
      const { startTraining: r } = await gql('mutation($i:TrainingInput!){ startTraining(input:$i){ id job { id } } }',
        { i: { model: getModel().id, iterations, population: { size } } });
      current = r;
      follow(r.id);
    } catch (e) { replace(box, errorBox(e)); }
  };
  const follow = async (id) => {
    for (;;) {
      const { trainingRun: r } = await gql('query($id:ID!){ trainingRun(id:$id){ id iteration policy { id } job { id state progress } metrics { iteration meanReturn timeInRange } } }', { id });
      replace(box, h('p', null, `run ${r.id}: ${r.job.state}, iteration ${r.iteration}`, r.policy ? ` → policy ${r.policy.id}` : ''),
        h('progress', { max: 1, value: r.job.progress, 'aria-label': 'training progress' }),
        r.metrics.length ? learning(r.metrics) : null);
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.job.state)) return onDone();
      await new Promise((res) => setTimeout(res, 1000));
    }
  };
  const cancel = async () => {
    if (!current) return;
    try { await gql('mutation($id:ID!){ cancelJob(id:$id){ state } }', { id: current.job.id }); } catch (e) { replace(box, errorBox(e)); }
  };
  return section('Training',
    h('div', { class: 'rx-inline' },
      field('iterations', { type: 'number', value: iterations, size: 4 }, (v) => (iterations = Number(v))),
      field('population', { type: 'number', value: size, size: 5 }, (v) => (size = Number(v))),
      button('Start training', start), button('Cancel', cancel)), box);
}

function evaluationSection(getModel, runs) {
  const box = h('div', { 'aria-live': 'polite' });
  let policyId = '';
  const evaluate = async () => {
    const m = getModel();
    try {
      const input = { model: m.id, baselines: m.baselines, days: 60, population: { size: 100 } };
      if (policyId) input.policyId = policyId;
      const { evaluatePolicy: ev } = await gql('mutation($i:EvaluationInput!){ evaluatePolicy(input:$i){ id job { id } } }', { i: input });
      await pollJob(ev.job.id, (j) => replace(box, h('progress', { max: 1, value: j.progress, 'aria-label': 'evaluation progress' }), ` ${j.state}`));
      const { evaluation: e } = await gql(`query($id:ID!){ evaluation(id:$id){ job { state error }
        arms { name patients timeInRange timeInRangeLow95 timeInRangeHigh95 meanDailyDose timeSevere }
        subgroups { arm dimension value patients timeInRange timeInRangeLow95 timeInRangeHigh95 worseThanBest } } }`, { id: ev.id });
      if (e.job.state !== 'SUCCEEDED') return replace(box, errorBox({ code: e.job.state, message: e.job.error || 'the evaluation did not finish' }));
      replace(box, forest(e.arms), table(['arm', 'patients', 'TTR', '95 % interval', 'mean daily dose'],
        e.arms.map((a) => [a.name, a.patients, fmt(a.timeInRange, 3), `${fmt(a.timeInRangeLow95, 3)}–${fmt(a.timeInRangeHigh95, 3)}`, fmt(a.meanDailyDose)])),
        e.subgroups && e.subgroups.length ? h('details', null, h('summary', null, `Subgroups (${new Set(e.subgroups.map((r) => `${r.dimension}=${r.value}`)).size})`), subgroupForest(e.subgroups)) : null);
    } catch (e) { replace(box, errorBox(e)); }
  };
  const pols = runs.filter((r) => r.policy).map((r) => [r.policy.id, r.policy.id]);
  return section('Evaluation', h('div', { class: 'rx-inline' },
    select('policy', [['', '(baselines only)'], ...pols], '', (v) => (policyId = v)), button('Evaluate', evaluate)), box);
}

function doseTableSection(runs) {
  const box = h('div');
  const pols = runs.filter((r) => r.policy).map((r) => [r.policy.id, r.policy.id]);
  if (pols.length === 0) return section('Dose table', h('p', { class: 'rx-muted' }, 'No trained policy yet: train one above.'));
  const show = async (id) => {
    try {
      const { policy } = await gql('query($id:ID!){ policy(id:$id){ doseTable } }', { id });
      replace(box, heatmap(policy.doseTable));
    } catch (e) { replace(box, errorBox(e)); }
  };
  let chosen = pols[0][0];
  return section('Dose table', select('policy', pols, chosen, (v) => (chosen = v)), button('Show', () => show(chosen)), box);
}
