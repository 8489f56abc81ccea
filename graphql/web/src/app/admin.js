// /admin: tokens (create, revoke), the audit log and its chain verification.
import { h, replace, gql, errorBox, button, section, table, select } from './core.js';

const ROLES = ['admin', 'clinician', 'designer', 'chemist', 'pharmacologist'];

export function adminPage(root) {
  const tokens = h('div');
  const audit = h('div');
  const verify = h('div', { 'aria-live': 'polite' });
  const created = h('div', { 'aria-live': 'polite' });
  let role = 'designer';
  const name = h('input', { type: 'text', placeholder: 'label', 'aria-label': 'token label' });
  const loadTokens = async () => {
    try {
      const { tokens: ts } = await gql('{ tokens { id name role createdAt revoked } }');
      replace(tokens, table(['id', 'label', 'role', 'created', 'state'], ts.map((t) => [t.id, t.name || '', t.role, t.createdAt.slice(0, 19),
        t.revoked ? 'revoked' : button('Revoke', async () => {
          try { await gql('mutation($id:ID!){ revokeToken(id:$id){ id } }', { id: t.id }); loadTokens(); } catch (e) { replace(created, errorBox(e)); }
        })]), { 'data-testid': 'tokens' }));
    } catch (e) { replace(tokens, errorBox(e)); }
  };
  const create = async () => {
    try {
      const { createToken: t } = await gql('mutation($r:String!,$n:String){ createToken(role:$r, name:$n){ token info { id role } } }', { r: role, n: name.value.trim() || null });
      const link = `${window.location.origin}/cohorts#token=${encodeURIComponent(t.token)}`;
      replace(created, h('p', null, `New ${t.info.role} token (shown once): `, h('code', null, t.token)), h('p', null, 'Sign-in link: ', h('code', null, link)));
      loadTokens();
    } catch (e) { replace(created, errorBox(e)); }
  };
  const loadAudit = async () => {
    try {
      const { auditLog } = await gql('{ auditLog(first: 100) { seq time actor role operation outcome targets } }');
      replace(audit, table(['seq', 'time', 'actor', 'role', 'operation', 'outcome', 'targets'],
        auditLog.map((r) => [r.seq, r.time.slice(0, 19), r.actor, r.role, r.operation, r.outcome, r.targets.join(', ')])));
    } catch (e) { replace(audit, errorBox(e)); }
  };
  const doVerify = async () => {
    try {
      const { verifyAudit: v } = await gql('{ verifyAudit { ok records error } }');
      replace(verify, h('p', { class: v.ok ? 'rx-ok' : 'rx-warn', 'data-testid': 'verify' }, v.ok ? `Chain intact: ${v.records} records` : `Chain broken: ${v.error}`));
    } catch (e) { replace(verify, errorBox(e)); }
  };
  replace(root, h('h1', null, 'Admin'),
    section('Tokens', h('div', { class: 'rx-inline' }, select('role', ROLES.map((r) => [r, r]), role, (v) => (role = v)), name, button('Create token', create)), created, tokens),
    section('Audit log', h('div', { class: 'rx-inline' }, button('Verify chain', doVerify), button('Reload', loadAudit)), verify, audit));
  loadTokens();
  loadAudit();
}
