// /cohorts: criteria builder with JSON view, live count, attrition funnel,
// breakdowns, saved cohorts and trials.
import { h, replace, gql, errorBox, debounce, button, section, table, fmt, fragmentParam } from './core.js';
import { nodeEditor } from './criteria.js';
import { funnel, breakdown } from './charts.js';

const COUNT = `query($c: CriteriaInput!){ cohortCount(criteria:$c){ count display suppressed
  disclosure{ exact noiseSigma threshold countsSpent repeated }
  attrition{ rule display remaining alone } breakdown{ dimension value display count } } }`;

export const DEFAULT_CRITERIA = { all: [{ age: { min: 40 } }, { condition: { system: 'ICD10CM', code: 'I48', descendants: true } }] };

export function cohortsPage(root, ctx) {
  let criteria = DEFAULT_CRITERIA;
  const fromLink = fragmentParam('criteria');
  if (fromLink) {
    try {
      criteria = JSON.parse(fromLink);
    } catch {
      // a bad link falls back to the default
    }
  }
  criteria = structuredClone(criteria);
  const form = h('div', { class: 'rx-builder', 'aria-label': 'criteria builder' });
  const json = h('textarea', { class: 'rx-json', rows: 18, spellcheck: 'false', 'aria-label': 'CriteriaInput JSON' });
  const jsonErr = h('div', { class: 'rx-muted', role: 'status' });
  const countBox = h('div', { class: 'rx-count', 'aria-live': 'polite' });
  const charts = h('div', { class: 'rx-charts' });
  const linkOut = h('input', { type: 'text', readonly: true, class: 'rx-link', 'aria-label': 'link carrying these criteria' });
  let seq = 0;

  const runCount = async () => {
    const my = ++seq;
    const t0 = performance.now();
    countBox.dataset.state = 'loading';
    try {
      const { cohortCount: c } = await gql(COUNT, { c: criteria });
      if (my !== seq) return;
      drawCount(c, performance.now() - t0);
    } catch (e) {
      if (my !== seq) return;
      replace(countBox, errorBox(e));
      replace(charts);
      countBox.dataset.state = 'error';
    }
  };
  const drawCount = (c, ms) => {
    const d = c.disclosure;
    replace(countBox,
      h('div', { class: 'rx-big', 'data-testid': 'count' }, c.display), ' patients',
      h('div', { class: 'rx-muted' }, d && !d.exact
        ? `noisy (σ ${fmt(d.noiseSigma)}; below ${d.threshold} shown as "<${d.threshold}"; spent ${fmt(d.countsSpent)} counts${d.repeated ? ', repeated: free' : ''})`
        : 'exact', ` · ${ms.toFixed(0)} ms`));
    if (d && !d.exact) {
      const left = h('div', { class: 'rx-muted', 'data-testid': 'budget' });
      countBox.append(left);
      gql('{ myPrivacyBudget { remainingCounts epsilon epsilonSpent renewsAt } }').then(({ myPrivacyBudget: b }) => {
        if (b) left.textContent = `privacy budget: ${b.remainingCounts} more counts this period (ε ${fmt(b.epsilonSpent)} of ${fmt(b.epsilon)} spent; renews ${b.renewsAt.slice(0, 16).replace('T', ' ')} UTC)`;
      }).catch(() => {});
    }
    countBox.dataset.state = 'done';
    countBox.dataset.n = String(Number(countBox.dataset.n || 0) + 1);
    countBox.dataset.at = performance.now().toFixed(1);
    countBox.dataset.count = c.display;
    const dims = [...new Set(c.breakdown.map((b) => b.dimension))];
    const threshold = (d && d.threshold) || 11;
    replace(charts,
      section('Attrition', funnel(c.attrition),
        table(['rule', 'alone', 'remaining'], c.attrition.map((s) => [s.rule, fmt(s.alone), s.display]), { 'data-testid': 'attrition' })),
      section('Breakdown', h('div', { class: 'rx-row' }, dims.map((dim) => breakdown(dim, c.breakdown.filter((b) => b.dimension === dim), threshold)))));
  };
  const liveCount = debounce(runCount, 60);
  const changed = () => {
    json.value = JSON.stringify(criteria, null, 2);
    jsonErr.textContent = '';
    linkOut.value = `${window.location.origin}/cohorts#criteria=${encodeURIComponent(JSON.stringify(criteria))}`;
    liveCount();
  };
  const rerender = () => {
    replace(form, nodeEditor(criteria, { changed, rerender }));
    changed();
  };
  json.addEventListener('input', debounce(() => {
    try {
      const next = JSON.parse(json.value);
      if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new Error('criteria must be a JSON object');
      criteria = next;
      replace(form, nodeEditor(criteria, { changed, rerender }));
      jsonErr.textContent = '';
      liveCount();
    } catch (e) {
      jsonErr.textContent = `JSON: ${e.message}`;
    }
  }, 300));

  const saved = h('div');
  const nameIn = h('input', { type: 'text', placeholder: 'cohort name', 'aria-label': 'cohort name' });
  const loadSaved = async () => {
    try {
      const { cohorts } = await gql('{ cohorts { id name version createdAt criteria } }');
      savedList = cohorts;
      replace(saved, cohorts.length === 0 ? h('p', { class: 'rx-muted' }, 'No saved cohorts yet.') :
        table(['name', 'version', 'saved', ''], cohorts.map((c) => [c.name, c.version, c.createdAt.slice(0, 19),
          button('Open', () => { criteria = structuredClone(c.criteria); nameIn.value = c.name; rerender(); })])));
    } catch (e) {
      replace(saved, errorBox(e));
    }
  };
  let savedList = [];
  // save stores a new name, or a new version of a name already saved: servers that keep
  // names unique answer CONFLICT, and the new version goes through updateCohort.
  const save = async () => {
    const name = nameIn.value.trim();
    try {
      let c;
      try {
        c = (await gql('mutation($c:CriteriaInput!,$n:String!){ saveCohort(criteria:$c, name:$n){ id name version } }', { c: criteria, n: name })).saveCohort;
      } catch (e) {
        const old = savedList.filter((x) => x.name === name).sort((a, b) => b.version - a.version)[0];
        if (e.code !== 'CONFLICT' || !old) throw e;
        c = (await gql('mutation($id:ID!,$c:CriteriaInput){ updateCohort(id:$id, criteria:$c){ id name version } }', { id: old.id, c: criteria })).updateCohort;
      }
      ctx.toast(`Saved ${c.name} version ${c.version}`);
      loadSaved();
    } catch (e) {
      replace(saved, errorBox(e));
    }
  };

  replace(root,
    h('h1', null, 'Cohorts'),
    h('div', { class: 'rx-split' },
      section('Criteria', form),
      section('CriteriaInput JSON', json, jsonErr, h('label', { class: 'rx-field' }, h('span', null, 'Link'), linkOut))),
    section('Count', countBox),
    charts,
    section('Saved cohorts', h('div', { class: 'rx-inline' }, nameIn, button('Save', save)), saved),
    trialsSection(() => criteria));
  rerender();
  loadSaved();
}

// trialsSection: import CTML, list trials with arms, matches and patient → trials.
function trialsSection() {
  const list = h('div');
  const out = h('div', { 'aria-live': 'polite' });
  const ctml = h('textarea', { rows: 6, placeholder: 'paste CTML (YAML or JSON)', 'aria-label': 'CTML' });
  const file = h('input', { type: 'file', accept: '.yaml,.yml,.json', 'aria-label': 'CTML file' });
  file.addEventListener('change', async () => {
    if (file.files[0]) ctml.value = await file.files[0].text();
  });
  const load = async () => {
    try {
      const { trials } = await gql('{ trials { id title nctId arms { code description criteria } } }');
      replace(list, table(['trial', 'title', 'arms', ''], trials.map((t) => [t.nctId || t.id, t.title,
        t.arms.map((a) => a.code).join(', '),
        h('span', { class: 'rx-inline' },
          button('Count', async () => {
            try {
              const { trialMatchCount: c } = await gql('query($t:ID!){ trialMatchCount(trialId:$t){ display } }', { t: t.id });
              replace(out, h('p', null, `${t.id}: ${c.display} matching patients`));
            } catch (e) { replace(out, errorBox(e)); }
          }),
          button('Patients', async () => {
            try {
              const c = { any: t.arms.map((a) => a.criteria) };
              const { cohortPatients: p } = await gql('query($c:CriteriaInput!){ cohortPatients(criteria:$c, first:20){ total ids } }', { c });
              replace(out, h('p', null, `${t.id}: ${p.total} patients; first: ${p.ids.join(', ')}`));
            } catch (e) { replace(out, errorBox(e)); }
          }))]), { 'data-testid': 'trials' }));
    } catch (e) {
      replace(list, errorBox(e));
    }
  };
  const replaceBox = h('input', { type: 'checkbox', id: 'rx-ctml-replace' });
  const importTrial = async () => {
    try {
      // replace is sent only when asked for: it stores a new version of an existing protocol_no.
      const doc = replaceBox.checked
        ? 'mutation($c:String!){ importTrial(ctml:$c, replace:true){ id title arms { code } } }'
        : 'mutation($c:String!){ importTrial(ctml:$c){ id title arms { code } } }';
      const { importTrial: t } = await gql(doc, { c: ctml.value });
      replace(out, h('p', null, `Imported ${t.id} with ${t.arms.length} arms`));
      load();
    } catch (e) { replace(out, errorBox(e)); }
  };
  const pid = h('input', { type: 'text', placeholder: 'DEMO-0000001', 'aria-label': 'patient id' });
  const patientTrials = async () => {
    try {
      const { patientTrials: m } = await gql('query($p:ID!){ patientTrials(patientId:$p){ arm reasons trial { id title } } }', { p: pid.value.trim() });
      replace(out, m.length ? table(['trial', 'arm', 'reasons'], m.map((x) => [x.trial.id, x.arm, x.reasons.join('; ')])) : h('p', null, 'No eligible trials.'));
    } catch (e) { replace(out, errorBox(e)); }
  };
  load();
  return section('Trials', list,
    h('div', { class: 'rx-inline' }, pid, button('Patient → trials', patientTrials)),
    h('details', null, h('summary', null, 'Import CTML'), ctml, file,
      h('label', { class: 'rx-field', for: 'rx-ctml-replace' }, replaceBox, h('span', null, 'replace an existing protocol (new version)')),
      button('Import', importTrial)),
    out);
}
