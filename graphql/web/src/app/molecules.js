// /molecules: SMILES → depiction, descriptors, similar molecules, predictions
// with intervals and in-domain badges, atom contributions; batch CSV.
import { h, replace, gql, errorBox, button, section, table, fmt, debounce, fragmentParam } from './core.js';
import { depict } from './depict.js';
import { intervals } from './charts.js';

const MOL = `query($s:String!){ molecule(smiles:$s){ canonicalSmiles formula heavyAtoms descriptors {
  molWt exactMass logP tpsa hbd hba rotatableBonds rings aromaticRings fractionCSP3 molarRefractivity lipinskiViolations } } }`;

export function moleculesPage(root) {
  const input = h('input', { type: 'text', class: 'rx-smiles', value: fragmentParam('smiles') || 'CC(=O)Oc1ccccc1C(=O)O', 'aria-label': 'SMILES', spellcheck: 'false' });
  const marker = h('div', { class: 'rx-marker', 'aria-live': 'polite' });
  const pic = h('div', { class: 'rx-depiction', 'data-testid': 'depiction' });
  const desc = h('div');
  const similar = h('div', { class: 'rx-grid' });
  const preds = h('div');
  const models = h('div');
  let seq = 0;
  const run = async () => {
    const my = ++seq;
    const smiles = input.value.trim();
    replace(marker);
    try {
      const { molecule: m } = await gql(MOL, { s: smiles });
      if (my !== seq) return;
      pic.dataset.heavyAtoms = m.heavyAtoms;
      pic.innerHTML = await depict(smiles);
      pic.querySelector('svg')?.setAttribute('role', 'img');
      pic.querySelector('svg')?.setAttribute('aria-label', `2D depiction of ${m.canonicalSmiles}`);
      replace(desc, table(['property', 'value'], [['canonical SMILES', m.canonicalSmiles], ['formula', m.formula], ['heavy atoms', m.heavyAtoms],
        ...Object.entries(m.descriptors).map(([k, v]) => [k, fmt(v)])], { 'data-testid': 'descriptors' }));
      loadSimilar(smiles, my);
      loadPredictions(smiles, my);
    } catch (e) {
      if (my !== seq) return;
      pic.replaceChildren();
      const pos = e.extensions && typeof e.extensions.position === 'number' ? e.extensions.position : -1;
      replace(marker, errorBox(e), pos >= 0 ? h('pre', { class: 'rx-caret', 'data-position': pos },
        smiles.slice(0, pos), h('mark', null, smiles.slice(pos, pos + 1) || ' '), smiles.slice(pos + 1), '\n', ' '.repeat(pos) + '^ here') : null);
    }
  };
  const loadSimilar = async (smiles, my) => {
    try {
      const { similarMolecules: s } = await gql('query($s:String!){ similarMolecules(smiles:$s, first:12, minSimilarity:0.2){ id name smiles similarity } }', { s: smiles });
      if (my !== seq) return;
      const cards = [];
      for (const x of s) {
        const card = h('figure', { class: 'rx-tile' }, h('figcaption', null, `${x.name || x.id} · ${x.similarity.toFixed(2)}`));
        try { card.insertAdjacentHTML('afterbegin', await depict(x.smiles, 160, 120)); } catch { /* leave the caption */ }
        cards.push(card);
      }
      replace(similar, cards.length ? cards : h('p', { class: 'rx-muted' }, 'No similar molecules in the library.'));
    } catch (e) { replace(similar, errorBox(e)); }
  };
  const loadPredictions = async (smiles, my) => {
    try {
      const { responseModels: ms } = await gql('{ responseModels { id dataset target task unit metrics inDomainThreshold } }');
      const metric = (m) => Object.entries(m.metrics || {}).filter(([k, v]) => typeof v === 'number' && /^(rmse|mae|r2|pearson|rocAuc|intervalCoverage)$/.test(k)).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
      replace(models, ms.length ? table(['model', 'dataset', 'target', 'held-out metrics', 'in-domain threshold'], ms.map((m) => [m.id, m.dataset, m.target, metric(m), fmt(m.inDomainThreshold)]), { 'data-testid': 'models' }) : h('p', { class: 'rx-muted' }, 'No trained models yet.'));
      const rows = [];
      for (const m of ms) {
        const { predict: [p] } = await gql('query($m:ID!,$s:[String!]!){ predict(model:$m, smiles:$s){ value low high inDomain nearestTrainingSimilarity atomContributions error } }', { m: m.id, s: [smiles] });
        rows.push({ model: m.id, ...p });
      }
      if (my !== seq) return;
      replace(preds, rows.length ? [intervals(rows), table(['model', 'value', 'interval', 'domain', 'nearest'], rows.map((r) => [r.model, fmt(r.value), `${fmt(r.low)}–${fmt(r.high)}`,
        h('span', { class: r.inDomain ? 'rx-badge rx-ok' : 'rx-badge rx-warn' }, r.inDomain ? 'in domain' : 'out of domain'), fmt(r.nearestTrainingSimilarity)]))] : null);
      const withContrib = rows.find((r) => r.atomContributions && r.atomContributions.length);
      if (withContrib) pic.innerHTML = await depict(smiles, 320, 220, withContrib.atomContributions);
    } catch (e) { replace(preds, errorBox(e)); }
  };
  input.addEventListener('input', debounce(run, 250));
  replace(root, h('h1', null, 'Molecules'),
    section('Molecule', input, marker, h('div', { class: 'rx-row' }, pic, desc)),
    section('Similar molecules', similar),
    section('Predictions', preds, models),
    batchSection());
  run();
}

function batchSection() {
  const ta = h('textarea', { rows: 5, 'aria-label': 'SMILES, one per line or CSV with SMILES first', value: 'CCO\nc1ccccc1\nC1CC' });
  ta.value = 'CCO\nc1ccccc1\nC1CC';
  const out = h('div');
  const go = async () => {
    const smiles = ta.value.split('\n').map((l) => l.split(',')[0].trim()).filter(Boolean).slice(0, 1000);
    try {
      const { molecules: rs } = await gql('query($s:[String!]!){ molecules(smiles:$s){ error errorCode molecule { canonicalSmiles formula descriptors { molWt logP tpsa } } } }', { s: smiles });
      const rows = rs.map((r, i) => [smiles[i], r.molecule?.canonicalSmiles ?? '', r.molecule?.formula ?? '', fmt(r.molecule?.descriptors.molWt), fmt(r.molecule?.descriptors.logP), fmt(r.molecule?.descriptors.tpsa), r.error ?? '']);
      const cols = ['smiles', 'canonical', 'formula', 'molWt', 'logP', 'tpsa', 'error'];
      const csv = [cols, ...rows].map((r) => r.map((c) => `"${String(c).replaceAll('"', '""')}"`).join(',')).join('\n');
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      replace(out, table(cols, rows), h('a', { href: url, download: 'molecules.csv' }, 'Download CSV'));
    } catch (e) { replace(out, errorBox(e)); }
  };
  return section('Batch (CSV in, CSV out)', ta, button('Run', go), out);
}
