// The criteria builder: a form over a CriteriaInput tree. The tree itself is
// the model (plain JSON as the API takes it), so the JSON view and the form
// round-trip exactly: the form is drawn from the JSON and edits write into it.
import { h, button } from './core.js';

const GROUPS = ['all', 'any', 'not', 'atLeast'];
const SYSTEMS = ['ICD10CM', 'SNOMED', 'RXNORM', 'ATC', 'LOINC', 'TEXT'];

// RULES: each rule kind with its default value and its fields
// [key, label, type, options].
export const RULES = {
  age: { label: 'Age', make: () => ({ min: 18 }), fields: [['min', 'min years', 'number'], ['max', 'max years', 'number']] },
  sex: { label: 'Sex', make: () => ['FEMALE'], list: ['FEMALE', 'MALE', 'OTHER', 'UNKNOWN'] },
  race: { label: 'Race', make: () => ['white'], csv: true },
  condition: { label: 'Condition', make: () => ({ system: 'ICD10CM', code: 'I48', descendants: true }), fields: [['system', 'system', 'select', SYSTEMS], ['code', 'code', 'text'], ['descendants', 'descendants', 'checkbox'], ['withinDays', 'within days', 'number']] },
  medication: { label: 'Drug', make: () => ({ system: 'ATC', code: 'B01AA03', descendants: true }), fields: [['system', 'system', 'select', SYSTEMS], ['code', 'code', 'text'], ['descendants', 'descendants', 'checkbox'], ['withinDays', 'within days', 'number']] },
  lab: { label: 'Lab', make: () => ({ loinc: '98979-8', op: 'LT', value: 60, unit: 'mL/min/{1.73_m2}' }), fields: [['loinc', 'LOINC', 'text'], ['op', 'op', 'select', ['LT', 'LE', 'EQ', 'GE', 'GT']], ['value', 'value', 'number'], ['unit', 'unit', 'text'], ['withinDays', 'within days', 'number']] },
  variant: { label: 'Variant', make: () => ({ gene: 'KRAS', proteinChange: 'G12C' }), fields: [['gene', 'gene', 'text'], ['proteinChange', 'protein change', 'text'], ['origin', 'origin', 'select', ['', 'GERMLINE', 'SOMATIC']]] },
  cnv: { label: 'CNV', make: () => ({ gene: 'ERBB2', type: 'AMPLIFICATION' }), fields: [['gene', 'gene', 'text'], ['type', 'type', 'select', ['AMPLIFICATION', 'DELETION']]] },
  fusion: { label: 'Fusion', make: () => ({ gene: 'ALK' }), fields: [['gene', 'gene', 'text'], ['partner', 'partner', 'text']] },
  pgx: { label: 'PGx', make: () => ({ gene: 'CYP2C19', phenotype: 'Poor Metabolizer' }), fields: [['gene', 'gene', 'text'], ['phenotype', 'phenotype', 'text'], ['diplotype', 'diplotype', 'text']] },
  testedGene: { label: 'Tested gene', make: () => 'EGFR', scalar: true },
  biomarker: { label: 'Biomarker', make: () => ({ name: 'MMR', value: 'DEFICIENT' }), fields: [['name', 'name', 'text'], ['value', 'value', 'text']] },
  cohort: { label: 'Saved cohort', make: () => '', scalar: true },
};

export function kindOf(node) {
  const keys = Object.keys(node || {});
  return keys.length === 1 ? keys[0] : keys[0] || 'all';
}

function uid() {
  return `c-${Math.random().toString(36).slice(2, 9)}`;
}

function labelled(text, input) {
  const id = uid();
  input.id = id;
  return h('label', { class: 'rx-field', for: id }, h('span', null, text), input);
}

// ruleEditor draws one leaf; edits write into node[kind] and call changed().
function ruleEditor(node, kind, changed) {
  const spec = RULES[kind];
  if (spec.list) {
    return h('span', { class: 'rx-inline' }, spec.list.map((v) => {
      const cb = h('input', { type: 'checkbox', checked: node[kind].includes(v) });
      cb.addEventListener('change', () => {
        node[kind] = spec.list.filter((x) => (x === v ? cb.checked : node[kind].includes(x)));
        changed();
      });
      return labelled(v.toLowerCase(), cb);
    }));
  }
  if (spec.csv || spec.scalar) {
    const input = h('input', { type: 'text', value: spec.csv ? node[kind].join(', ') : node[kind], size: 18 });
    input.addEventListener('input', () => {
      node[kind] = spec.csv ? input.value.split(',').map((s) => s.trim()).filter(Boolean) : input.value.trim();
      changed();
    });
    return labelled(spec.csv ? 'values (comma-separated)' : 'value', input);
  }
  const obj = node[kind];
  return h('span', { class: 'rx-inline' }, spec.fields.map(([key, text, type, options]) => {
    let input;
    if (type === 'select') {
      input = h('select', null, options.map((o) => h('option', { value: o, selected: obj[key] === o }, o || '(any)')));
      input.value = obj[key] ?? '';
    } else if (type === 'checkbox') {
      input = h('input', { type: 'checkbox', checked: obj[key] !== false });
    } else {
      input = h('input', { type, value: obj[key] ?? '', size: type === 'number' ? 6 : 12, step: 'any' });
    }
    input.addEventListener(type === 'select' || type === 'checkbox' ? 'change' : 'input', () => {
      let v = type === 'checkbox' ? input.checked : input.value;
      if (type === 'number') v = v === '' ? undefined : Number(v);
      if (v === undefined || v === '') delete obj[key];
      else obj[key] = v;
      changed();
    });
    return labelled(text, input);
  }));
}

// nodeEditor draws a node of the tree: a group (with its children) or a rule.
// rerender is called after structural edits, changed after value edits.
export function nodeEditor(node, { changed, rerender, remove, depth = 0 }) {
  const kind = kindOf(node);
  const box = h('div', { class: `rx-node rx-depth-${depth % 3}`, 'data-kind': kind });
  const kindSel = h('select', { 'aria-label': 'rule kind' },
    h('optgroup', { label: 'groups' }, GROUPS.map((g) => h('option', { value: g, selected: g === kind }, g === 'atLeast' ? 'at least' : g))),
    h('optgroup', { label: 'rules' }, Object.entries(RULES).map(([k, r]) => h('option', { value: k, selected: k === kind }, r.label))));
  kindSel.value = kind;
  kindSel.addEventListener('change', () => {
    const next = kindSel.value;
    const kids = childrenOf(node);
    for (const k of Object.keys(node)) delete node[k];
    if (next === 'all' || next === 'any') node[next] = kids.length ? kids : [{ age: { min: 18 } }];
    else if (next === 'not') node.not = kids[0] || { age: { min: 18 } };
    else if (next === 'atLeast') node.atLeast = { n: 1, of: kids.length ? kids : [{ age: { min: 18 } }] };
    else node[next] = RULES[next].make();
    rerender();
  });
  const head = h('div', { class: 'rx-node-head' }, kindSel);
  box.append(head);
  if (kind === 'atLeast') {
    const n = h('input', { type: 'number', min: 0, value: node.atLeast.n, size: 3 });
    n.addEventListener('input', () => {
      node.atLeast.n = Number(n.value);
      changed();
    });
    head.append(labelled('n', n), h('span', null, 'of'));
  }
  if (remove) head.append(button('Remove', remove, { class: 'rx-small', 'aria-label': 'remove this rule' }));
  if (GROUPS.includes(kind)) {
    const list = kind === 'not' ? null : kind === 'atLeast' ? node.atLeast.of : node[kind];
    const kids = h('div', { class: 'rx-children' });
    if (kind === 'not') {
      kids.append(nodeEditor(node.not, { changed, rerender, depth: depth + 1 }));
    } else {
      list.forEach((child, i) => kids.append(nodeEditor(child, {
        changed, rerender, depth: depth + 1,
        remove: list.length > 1 ? () => { list.splice(i, 1); rerender(); } : null,
      })));
      const add = h('select', { 'aria-label': 'add a rule' }, h('option', { value: '' }, '+ add rule…'),
        Object.entries(RULES).map(([k, r]) => h('option', { value: k }, r.label)),
        h('option', { value: 'any' }, 'any-of group'));
      add.addEventListener('change', () => {
        if (!add.value) return;
        list.push(add.value === 'any' ? { any: [{ age: { min: 18 } }] } : { [add.value]: RULES[add.value].make() });
        rerender();
      });
      kids.append(add);
    }
    box.append(kids);
  } else if (RULES[kind]) {
    box.append(ruleEditor(node, kind, changed));
  } else {
    box.append(h('span', { class: 'rx-muted' }, `(${kind}: edit in the JSON view)`));
  }
  return box;
}

function childrenOf(node) {
  const k = kindOf(node);
  if (k === 'all' || k === 'any') return node[k];
  if (k === 'not') return [node.not];
  if (k === 'atLeast') return node.atLeast.of;
  return [{ ...node }];
}
