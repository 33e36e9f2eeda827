// The app list: my community's apps with their status, version and last change; create a
// blank app, duplicate one, archive and restore.
import { api } from './api.js';
import { t, txt, h, lang, setLang } from './i18n.js';

class AppList extends HTMLElement {
  connectedCallback() { this.archived = false; this.load(); }

  async load() {
    let apps;
    try { apps = await api('GET', `/api/v1/drafts${this.archived ? '?archived=true' : ''}`); } catch (e) {
      this.replaceChildren(h('p', { class: 'd-error', role: 'alert' }, e.message));
      return;
    }
    const open = (id) => { location.href = `/designer/apps/${encodeURIComponent(id)}`; };
    const act = async (fn) => { try { await fn(); await this.load(); } catch (e) { alert(e.message); } };
    this.replaceChildren(
      h('div', { class: 'd-list-head' }, h('h1', {}, t('apps')),
        h('button', { type: 'button', class: 'primary', id: 'd-new', onclick: () => act(async () => open((await api('POST', '/api/v1/drafts', {})).id)) }, `＋ ${t('new_app')}`),
        h('label', { class: 'd-check' }, h('input', { type: 'checkbox', checked: this.archived, onchange: (e) => { this.archived = e.target.checked; this.load(); } }), ` ${t('show_archived')}`),
        h('button', { type: 'button', id: 'd-lang', onclick: () => setLang(lang() === 'en' ? 'zh-CN' : 'en') }, t('lang_switch'))),
      apps.length ? h('table', { class: 'd-app-table' },
        h('thead', {}, h('tr', {}, h('th', {}, t('name')), h('th', {}, t('status_published')), h('th', {}, t('version')), h('th', {}, t('last_change')), h('th', {}, ''))),
        h('tbody', {}, apps.map((a) => h('tr', { 'data-app': a.id },
          h('td', {}, h('a', { href: `/designer/apps/${encodeURIComponent(a.id)}` }, h('span', { 'aria-hidden': 'true' }, `${a.icon || '📝'} `), txt(a.name) || a.id), h('br'), h('small', {}, a.id)),
          h('td', {}, h('span', { class: `d-status d-status-${a.status}` }, t(`status_${a.status}`)), a.archived ? h('span', { class: 'd-status d-status-archived' }, t('archived')) : null),
          h('td', {}, a.version || '—'),
          h('td', {}, new Date(a.updated_at).toLocaleString(lang()), h('br'), h('small', {}, a.updated_by)),
          h('td', { class: 'd-row-actions' },
            h('button', { type: 'button', onclick: () => open(a.id) }, t('edit')),
            h('button', { type: 'button', onclick: () => act(async () => open((await api('POST', '/api/v1/drafts', { copy_of: a.id })).id)) }, t('duplicate')),
            h('button', { type: 'button', onclick: () => act(() => api('PUT', `/api/v1/apps/${encodeURIComponent(a.id)}/archived`, { archived: !a.archived })) }, a.archived ? t('unarchive') : t('archive')))))))
        : h('p', {}, t('no_apps')));
    document.documentElement.lang = lang();
  }
}
customElements.define('baida-app-list', AppList);
