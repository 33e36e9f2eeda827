// The canvas: the flow of steps top to bottom, each with its ways on (transitions, with their
// conditions: branches and loops show where they lead), and inside steps where people fill
// in fields, the form builder: the fields in form order, repeat groups with theirs. Drop
// zones sit between steps and between fields; every card also has buttons to move, copy and
// delete it, so the keyboard can do all the mouse can.
import { t, txt, h } from './i18n.js';
import { draggable } from './drag.js';
import { BLOCK_ICONS, FIELD_ICONS } from './palette.js';
import { hasFields, stepFields } from './model.js';

export class Canvas extends HTMLElement {
  render(editor) {
    const d = editor.def;
    const steps = d.steps || [];
    const bad = editor.problemPointers();
    const zone = (index) => h('div', { class: 'd-drop d-drop-step', 'data-drop': 'step', 'data-index': index, 'aria-hidden': 'true' }, t('drop_here'));
    const list = h('ol', { class: 'd-flow' });
    steps.forEach((step, i) => {
      list.append(h('li', { class: 'd-flow-gap' }, zone(i)));
      list.append(h('li', {}, this.card(editor, step, i, bad)));
    });
    list.append(h('li', { class: 'd-flow-gap' }, zone(steps.length)));
    this.replaceChildren(h('h2', { class: 'd-panel-title' }, t('canvas')),
      h('button', { type: 'button', class: `d-app-card ${editor.selection?.type === 'app' ? 'd-selected' : ''}`, 'data-select': 'app',
        onclick: () => editor.select({ type: 'app' }) }, h('span', { class: 'd-icon' }, d.icon || '📝'), ` ${txt(d.name) || t('untitled')}`, h('small', {}, ` · ${t('app_settings')}`)),
      list);
  }

  card(editor, step, i, bad) {
    const d = editor.def;
    const info = editor.blocks.find((b) => b.id === step.block);
    const selected = editor.selection?.type === 'step' && editor.selection.index === i;
    const faulty = bad.some((p) => p === `/steps/${i}` || p.startsWith(`/steps/${i}/`));
    const ways = (d.transitions || []).filter((tr) => tr.from === step.id);
    const name = (id) => txt((d.steps || []).find((s) => s.id === id)?.name) || id;
    const head = h('div', { class: 'd-card-head' },
      h('span', { class: 'd-handle', 'aria-hidden': 'true', title: t('move_up') }, '⠿'),
      h('span', { class: 'd-icon', 'aria-hidden': 'true' }, BLOCK_ICONS[step.block] || '▣'),
      h('button', { type: 'button', class: 'd-card-title', 'data-select': `step:${i}`, onclick: () => editor.select({ type: 'step', index: i }) },
        h('strong', {}, txt(step.name) || step.id), h('small', {}, ` ${info ? txt(info.name) : step.block} · ${step.id}`)),
      faulty ? h('span', { class: 'd-badge d-bad', title: t('problems') }, '!') : null,
      h('span', { class: 'd-card-tools' },
        h('button', { type: 'button', class: 'd-small', 'aria-label': `${t('move_up')} ${step.id}`, onclick: () => editor.edit((x) => editor.model.moveStep(x, i, i - 1)) }, '↑'),
        h('button', { type: 'button', class: 'd-small', 'aria-label': `${t('move_down')} ${step.id}`, onclick: () => editor.edit((x) => editor.model.moveStep(x, i, i + 1)) }, '↓'),
        h('button', { type: 'button', class: 'd-small', 'aria-label': `${t('copy')} ${step.id}`, onclick: () => editor.edit((x) => editor.model.duplicateStep(x, i)) }, '⧉'),
        h('button', { type: 'button', class: 'd-small d-danger', 'aria-label': `${t('delete')} ${step.id}`, onclick: () => editor.removeStep(i) }, '✕')));
    const body = [];
    if (hasFields(step)) body.push(this.fields(editor, i, stepFields(d, step), [], bad));
    body.push(h('ul', { class: 'd-ways' }, ways.length
      ? ways.map((w) => h('li', { class: w.when ? 'd-branch' : '' }, '→ ', name(w.to),
        w.when ? h('code', {}, ` ${t('when')} ${w.when}`) : null))
      : h('li', { class: 'd-end' }, `■ ${t('ends')}`)));
    const card = h('article', { class: `d-card ${selected ? 'd-selected' : ''} ${info?.human ? 'd-human' : 'd-auto'}`,
      'data-step': step.id, 'data-drop': 'step', 'data-index': i + 1 }, head, ...body);
    draggable(card.querySelector('.d-handle'), () => ({ kind: 'step', index: i }), () => txt(step.name) || step.id);
    draggable(card.querySelector('.d-card-title'), () => ({ kind: 'step', index: i }), () => txt(step.name) || step.id);
    return card;
  }

  /** The form builder of step `si`: its fields (or a repeat group's, at `group`). */
  fields(editor, si, fields, group, bad) {
    const d = editor.def;
    const pointerOf = (f) => {
      if (group.length) return null;
      return `/record/fields/${(d.record?.fields || []).indexOf(f)}`;
    };
    const zone = (at) => h('div', { class: 'd-drop d-drop-field', 'data-drop': 'field', 'data-step': si, 'data-at': at, 'data-group': group.join('.'), 'aria-hidden': 'true' }, t('drop_field_here'));
    const items = [];
    fields.forEach((f, j) => {
      items.push(zone(j));
      const type = f.type || editor.dictType(f.dict);
      const sel = editor.selection;
      const selected = sel?.type === 'field' && sel.step === si && sel.pos === j && sel.group.join('.') === group.join('.');
      const p = pointerOf(f);
      const faulty = p && bad.some((x) => x === p || x.startsWith(`${p}/`));
      const row = h('div', { class: `d-field ${selected ? 'd-selected' : ''} ${type === 'section' ? 'd-section' : ''}`, 'data-field': f.key },
        h('span', { class: 'd-icon', 'aria-hidden': 'true' }, FIELD_ICONS[type] || '▢'),
        h('button', { type: 'button', class: 'd-field-title', 'data-select': `field:${f.key}`, onclick: () => editor.select({ type: 'field', step: si, pos: j, group }) },
          txt(f.label) || editor.dictLabel(f.dict) || f.key, f.required ? ' *' : '', h('small', {}, ` ${f.key}${f.dict ? ` · 📚 ${f.dict}` : ''}`)),
        faulty ? h('span', { class: 'd-badge d-bad' }, '!') : null,
        h('span', { class: 'd-card-tools' },
          h('button', { type: 'button', class: 'd-small', 'aria-label': `${t('move_up')} ${f.key}`, onclick: () => editor.edit((x) => editor.model.moveField(x, si, j, j - 1, group)) }, '↑'),
          h('button', { type: 'button', class: 'd-small', 'aria-label': `${t('move_down')} ${f.key}`, onclick: () => editor.edit((x) => editor.model.moveField(x, si, j, j + 1, group)) }, '↓'),
          h('button', { type: 'button', class: 'd-small', 'aria-label': `${t('copy')} ${f.key}`, onclick: () => editor.edit((x) => editor.model.duplicateField(x, si, j, group)) }, '⧉'),
          h('button', { type: 'button', class: 'd-small d-danger', 'aria-label': `${t('delete')} ${f.key}`, onclick: () => editor.edit((x) => editor.model.removeField(x, si, j, group)) }, '✕')));
      draggable(row.querySelector('.d-field-title'), () => ({ kind: 'field', step: si, pos: j, group }), () => txt(f.label) || f.key);
      items.push(row);
      if (type === 'group') {
        const gi = group.length ? null : (d.record?.fields || []).indexOf(f);
        if (gi != null && gi >= 0) items.push(h('div', { class: 'd-group' }, this.fields(editor, si, f.fields || [], [gi], bad)));
      }
    });
    items.push(zone(fields.length));
    return h('div', { class: 'd-form', 'aria-label': t('field_types') }, items);
  }
}
customElements.define('baida-canvas', Canvas);
