// The palette: flow blocks, field types and data-dictionary fields, each with its icon, name
// and one line of help, searchable. Drag one onto the flow, or focus it and press Enter (or
// click) to add it after the selected step (blocks) or to the selected step's form (fields).
import { t, txt, h } from './i18n.js';
import { draggable } from './drag.js';

export const BLOCK_ICONS = { form: '📝', dispatch: '🧭', sign: '✍️', handle: '🛠️', review: '✅', claim: '🙋', vote: '🗳️',
  notify: '🔔', webhook: '🔗', timer: '⏱️', script: '📜', ledger: '📒', plugin: '🧩' };
export const FIELD_ICONS = { text: '🔤', textarea: '📄', number: '🔢', integer: '#️⃣', select: '🔘', multiselect: '☑️',
  date: '📅', datetime: '🕒', phone: '📱', id_number: '🪪', email: '✉️', yes_no: '⚖️', rating: '⭐', photo: '📷',
  location: '📍', group: '🔁', section: '➖', time: '⏰', slider: '🎚️', relation: '🔗' };

export class Palette extends HTMLElement {
  connectedCallback() { this.query = ''; }

  /** Draws the palette; it changes only with the search and the dictionary, not with edits. */
  render(editor) {
    this.drawnWith = editor.dictionary;
    const q = this.query.trim().toLowerCase();
    const hit = (...texts) => !q || texts.some((x) => (x || '').toLowerCase().includes(q));
    // Where a field goes is decided when it is added: the selection may have changed since.
    const fieldTarget = { get step() { return editor.fieldTarget()?.step; }, get group() { return editor.fieldTarget()?.group; } };
    const search = h('input', { type: 'search', class: 'd-search', placeholder: t('search'), 'aria-label': t('search'), value: this.query,
      oninput: (e) => {
        this.query = e.target.value;
        this.render(editor);
        const box = this.querySelector('.d-search');
        box.focus();
        box.setSelectionRange(box.value.length, box.value.length);
      } });
    const item = (payload, icon, name, help, add) => {
      const el = h('button', { type: 'button', class: 'd-palette-item', 'data-palette': payload.block || payload.type || payload.dict,
        title: `${help} · ${t('add_hint')}`, onclick: add },
        h('span', { class: 'd-icon', 'aria-hidden': 'true' }, icon),
        h('span', { class: 'd-pname' }, name), h('span', { class: 'd-phelp' }, help));
      draggable(el, () => payload, () => `${icon} ${name}`);
      return el;
    };
    const blocks = editor.blocks.filter((b) => hit(b.id, txt(b.name), txt(b.help), b.name.en))
      .map((b) => item({ kind: 'block', block: b.id }, BLOCK_ICONS[b.id] || '▣', txt(b.name), txt(b.help), () => editor.addStep(b.id)));
    const fields = editor.fieldTypes.filter((f) => hit(f.id, txt(f.name), f.name.en))
      .map((f) => item({ kind: 'field-type', type: f.id }, FIELD_ICONS[f.id] || '▢', txt(f.name), f.id, () => editor.addFieldTo(fieldTarget, { type: f.id })));
    const dict = (editor.dictionary?.fields || []).filter((f) => q && hit(f.key, txt(f.label), txt(f.help)) || !q && false)
      .slice(0, 30)
      .map((f) => item({ kind: 'dict', dict: f.key }, FIELD_ICONS[f.type] || '📚', txt(f.label) || f.key, f.key, () => editor.addFieldTo(fieldTarget, { dict: f.key })));
    const dictByCategory = !q && editor.dictionary
      ? editor.dictionary.categories.map((c) => h('details', { class: 'd-dict-cat' }, h('summary', {}, txt(c.name)),
        editor.dictionary.fields.filter((f) => f.category === c.id).map((f) =>
          item({ kind: 'dict', dict: f.key }, FIELD_ICONS[f.type] || '📚', txt(f.label) || f.key, f.key, () => editor.addFieldTo(fieldTarget, { dict: f.key })))))
      : dict;
    this.replaceChildren(
      h('h2', { class: 'd-panel-title' }, t('palette')), search,
      h('h3', {}, t('flow_blocks')), h('div', { class: 'd-palette-group', role: 'list' }, blocks),
      h('h3', {}, t('field_types')), h('p', { class: 'd-help' }, t('dictionary_hint')),
      h('div', { class: 'd-palette-group d-fields', role: 'list' }, fields),
      h('h3', {}, t('dictionary')), h('div', { class: 'd-palette-group d-dict' }, dictByCategory));
  }
}
customElements.define('baida-palette', Palette);
