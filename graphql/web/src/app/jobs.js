// /jobs: every job with its progress, cancel, and where its result is.
import { h, replace, gql, errorBox, button, section, table } from './core.js';

// Where each kind of job's result is shown.
const LINKS = { 'rl-training': '/dosing', 'rl-evaluation': '/dosing', 'train-response-model': '/molecules' };

export function jobsPage(root) {
  const box = h('div', { 'aria-live': 'polite' });
  let timer = null;
  const load = async () => {
    try {
      const { jobs } = await gql('{ jobs(first: 100) { id kind state progress message error createdAt finishedAt } }');
      replace(box, jobs.length === 0 ? h('p', { class: 'rx-muted' }, 'No jobs yet.') : table(['job', 'kind', 'state', 'progress', 'message', ''], jobs.map((j) => [
        j.id, j.kind, j.state,
        h('progress', { max: 1, value: j.progress, 'aria-label': `progress of ${j.id}` }),
        j.error || j.message || '',
        ['QUEUED', 'RUNNING'].includes(j.state)
          ? button('Cancel', async () => {
            try { await gql('mutation($id:ID!){ cancelJob(id:$id){ state } }', { id: j.id }); load(); } catch (e) { replace(box, errorBox(e)); }
          })
          : h('a', { href: LINKS[j.kind] || '/graphiql', 'aria-label': `open what ${j.id} made` }, 'open'),
      ]), { 'data-testid': 'jobs' }));
      if (document.body.contains(box)) timer = setTimeout(load, 2000);
    } catch (e) {
      replace(box, errorBox(e));
    }
  };
  replace(root, h('h1', null, 'Jobs'), section('All jobs', box));
  clearTimeout(timer);
  load();
}
