// The editor: one app's draft, its undo and redo stacks, autosave, validation and the panels.
// Every change goes through `edit(fn)`: the definition is cloned, changed by `fn` (see
// model.js), pushed on the undo stack, drawn again, and saved after a short pause. The save
// answers with the same problems as `baida validate`, which every panel shows where they are.
import { api, ApiError } from './api.js';
import { t, txt, h, lang, setLang } from './i18n.js';
import * as model from './model.js';
import { setDropHandler } from './drag.js';
import './palette.js';
import './canvas.js';
import './panels.js';

const SAVE_DELAY = 600;

class Editor extends HTMLElement {
  async connectedCallback() {
    this.model = model;
    this.appId = decodeURIComponent(location.pathname.split('/').pop());
    this.undoStack = [];
    this.redoStack = [];
    this.problems = [];
    this.warnings = [];
    this.selection = { type: 'app' };
    this.state = 'saved';
    this.replaceChildren(h('p', { class: 'd-loading' }, t('loading')));
    try {
      const [blocks, fieldTypes, appParts, draft] = await Promise.all([
        fetch('/designer/blocks.json').then((r) => r.json()),
        fetch('/designer/field-types.json').then((r) => r.json()),
        fetch('/designer/app-parts.json').then((r) => r.json()),
        api('GET', `/api/v1/drafts/${encodeURIComponent(this.appId)}`),
      ]);
      this.blocks = blocks;
      this.fieldTypes = fieldTypes;
      this.appParts = appParts;
      this.load(draft);
      api('GET', '/api/v1/dictionary').then((dict) => { this.dictionary = dict; this.dataset.dictionary = 'loaded'; this.draw(); }).catch(() => {});
    } catch (e) {
      this.replaceChildren(h('p', { class: 'd-error', role: 'alert' }, e.message));
      return;
    }
    setDropHandler((payload, zone) => this.drop(payload, zone));
    document.addEventListener('keydown', (e) => {
      if (!(e.ctrlKey || e.metaKey) || e.target.closest('input, textarea')) return;
      if (e.key === 'z' && !e.shiftKey) { e.preventDefault(); this.undo(); }
      if ((e.key === 'z' && e.shiftKey) || e.key === 'y') { e.preventDefault(); this.redo(); }
    });
    window.addEventListener('beforeunload', (e) => { if (this.state !== 'saved') e.preventDefault(); });
  }

  load(draft) {
    this.def = draft.definition;
    this.revision = draft.revision;
    this.published = draft.published_version;
    this.owner = draft.owner;
    this.homeCommunity = draft.community;
    this.problems = draft.problems || [];
    this.warnings = draft.warnings || [];
    this.layout();
    this.draw();
    this.refreshPreview();
  }

  layout() {
    const bar = h('header', { class: 'd-bar' },
      h('a', { href: `/designer${lang() === 'en' ? '?lang=en' : ''}`, class: 'd-back' }, t('back')),
      h('span', { class: 'd-title', id: 'd-title' }),
      h('span', { class: 'd-state', id: 'd-state', role: 'status', 'aria-live': 'polite' }),
      h('span', { class: 'd-actions' },
        h('button', { type: 'button', id: 'd-undo', onclick: () => this.undo() }, `↶ ${t('undo')}`),
        h('button', { type: 'button', id: 'd-redo', onclick: () => this.redo() }, `↷ ${t('redo')}`),
        h('button', { type: 'button', id: 'd-export', onclick: () => this.exportJson() }, t('export')),
        h('label', { class: 'd-button', for: 'd-import' }, t('import')),
        h('input', { type: 'file', id: 'd-import', accept: 'application/json,.json', class: 'd-hidden', onchange: (e) => this.importJson(e.target.files[0]) }),
        h('button', { type: 'button', id: 'd-history', onclick: () => this.querySelector('baida-history').open(this) }, t('history')),
        h('button', { type: 'button', id: 'd-test-run', onclick: () => this.querySelector('baida-test-run').open(this) }, t('test_run')),
        h('button', { type: 'button', id: 'd-lang', onclick: () => setLang(lang() === 'en' ? 'zh-CN' : 'en') }, t('lang_switch')),
        h('button', { type: 'button', id: 'd-publish', class: 'primary', onclick: () => this.publish() }, t('publish'))));
    const tabs = h('nav', { class: 'd-tabs', 'aria-label': 'panels' },
      ['palette', 'canvas', 'properties', 'preview'].map((p) => h('button', { type: 'button', 'data-tab': p, onclick: () => this.showTab(p) }, t(p))));
    queueMicrotask(() => this.showTab('canvas'));
    this.replaceChildren(bar, tabs,
      h('div', { class: 'd-main', 'data-tab-shown': 'canvas' },
        h('baida-palette', { class: 'd-palette', 'data-panel': 'palette' }),
        h('baida-canvas', { class: 'd-canvas', 'data-panel': 'canvas' }),
        h('baida-properties', { class: 'd-properties', 'data-panel': 'properties' }),
        h('baida-preview', { class: 'd-preview', 'data-panel': 'preview' })),
      h('baida-problems', { class: 'd-problems' }),
      h('baida-history'), h('baida-test-run'));
  }

  showTab(p) {
    this.querySelector('.d-main').dataset.tabShown = p;
    this.querySelectorAll('.d-tabs [data-tab]').forEach((b) => b.setAttribute('aria-current', String(b.dataset.tab === p)));
  }

  /** Draws every panel, keeping the focus on the input (by pointer) or button it was on. */
  draw() {
    if (!this.def) return;
    const active = document.activeElement;
    // What is being typed and not yet committed survives a redraw (a save's answer, say).
    const typing = active?.matches?.('input[data-pointer]:not([type=checkbox]), textarea[data-pointer]')
      ? { value: active.value, start: active.selectionStart, end: active.selectionEnd } : null;
    const key = active?.dataset?.pointer ? `[data-pointer="${active.dataset.pointer}"]`
      : active?.getAttribute?.('aria-label') ? `[aria-label="${CSS.escape(active.getAttribute('aria-label'))}"]`
        : active?.dataset?.select ? `[data-select="${active.dataset.select}"]` : null;
    this.querySelector('#d-title').textContent = `${this.def.icon || ''} ${txt(this.def.name) || t('untitled')}`;
    this.querySelector('#d-undo').disabled = !this.undoStack.length;
    this.querySelector('#d-redo').disabled = !this.redoStack.length;
    this.drawState();
    const props = this.querySelector('baida-properties');
    const palette = this.querySelector('baida-palette');
    if (!('drawnWith' in palette) || palette.drawnWith !== this.dictionary) palette.render(this);
    for (const sel of ['baida-canvas', 'baida-problems']) this.querySelector(sel).render(this);
    // A value just typed into the panel is already on screen there: redrawing the panel under
    // the pointer would swallow the click that committed it.
    if (!props.committing) props.render(this);
    if (key && active !== document.body) {
      const el = this.querySelector(key);
      el?.focus();
      if (typing && el && el !== active && el.value !== typing.value) {
        el.value = typing.value;
        el.setSelectionRange?.(typing.start, typing.end);
      }
    }
  }

  drawState() {
    const n = this.problems.length;
    const word = { saving: t('saving'), saved: t('saved'), dirty: t('unsaved'), failed: t('save_failed'), conflict: t('conflict'), readonly: t('read_only') }[this.state];
    const el = this.querySelector('#d-state');
    el.textContent = `${word}${n ? ` · ${n} ${t('n_problems')}` : ''}`;
    el.dataset.state = this.state;
  }

  problemPointers() { return this.problems.map((p) => p.pointer); }

  // ---- Editing -------------------------------------------------------------------------

  edit(fn) {
    if (this.state === 'conflict' || this.state === 'readonly') return;
    const next = model.clone(this.def);
    fn(next);
    if (JSON.stringify(next) === JSON.stringify(this.def)) return;
    this.undoStack.push(this.def);
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.redoStack = [];
    this.def = next;
    this.changed();
  }

  undo() { if (this.undoStack.length) { this.redoStack.push(this.def); this.def = this.undoStack.pop(); this.changed(); } }
  redo() { if (this.redoStack.length) { this.undoStack.push(this.def); this.def = this.redoStack.pop(); this.changed(); } }

  changed() {
    this.state = 'dirty';
    this.fixSelection();
    this.draw();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), SAVE_DELAY);
  }

  fixSelection() {
    const s = this.selection;
    if (s.type === 'step' && !(this.def.steps || [])[s.index]) this.selection = { type: 'app' };
    if (s.type === 'field' && !this.selectedField()) this.selection = { type: 'app' };
  }

  /** Saves the draft now (waiting for a save under way); resolves when the server has it. */
  async save() {
    clearTimeout(this.timer);
    if (this.saving) { await this.saving; if (this.state !== 'dirty') return; }
    if (this.state !== 'dirty') return;
    const sent = this.def;
    this.state = 'saving';
    this.drawState();
    this.saving = (async () => {
      try {
        const d = await api('PUT', `/api/v1/drafts/${encodeURIComponent(this.appId)}`, { revision: this.revision, definition: sent });
        this.revision = d.revision;
        this.problems = d.problems || [];
        this.warnings = d.warnings || [];
        this.state = this.def === sent ? 'saved' : 'dirty';
        this.draw();
        this.refreshPreview();
        if (this.state === 'dirty') this.timer = setTimeout(() => this.save(), SAVE_DELAY);
      } catch (e) {
        this.state = e instanceof ApiError && e.status === 409 ? 'conflict' : e instanceof ApiError && e.status === 403 ? 'readonly' : 'failed';
        this.drawState();
        if (this.state === 'failed') this.timer = setTimeout(() => { this.state = 'dirty'; this.save(); }, 3000);
      }
    })();
    await this.saving;
    this.saving = null;
  }

  refreshPreview() { this.querySelector('baida-preview')?.refresh(this); }

  select(sel) {
    this.selection = sel;
    this.draw();
    if (matchMedia('(max-width: 900px)').matches && sel.type !== 'app') this.showTab('properties');
  }

  selectedStep() { return this.selection.type === 'step' ? this.def.steps[this.selection.index] : null; }

  selectedField() {
    const s = this.selection;
    if (s.type !== 'field') return null;
    const step = (this.def.steps || [])[s.step];
    if (!step) return null;
    const list = s.group.length ? model.fieldList(this.def, s.group) : model.stepFields(this.def, step);
    return list[s.pos] || null;
  }

  /** Where a field added from the palette goes: the selected step (or the step of the
   *  selected field), else the first step with a form. */
  fieldTarget() {
    const s = this.selection;
    const steps = this.def.steps || [];
    if (s.type === 'step' && model.hasFields(steps[s.index])) return { step: s.index, group: [] };
    if (s.type === 'field') return { step: s.step, group: s.group };
    const i = steps.findIndex(model.hasFields);
    return i >= 0 ? { step: i, group: [] } : null;
  }

  dictField(key) { return this.dictionary?.fields.find((f) => f.key === key); }
  dictType(key) { return this.dictField(key)?.type; }
  dictLabel(key) { return txt(this.dictField(key)?.label); }

  newField(spec) {
    if (spec.dict) {
      const base = spec.dict.split('.').pop();
      return { key: model.newFieldKey(this.def, base), dict: spec.dict };
    }
    const info = this.fieldTypes.find((f) => f.id === spec.type);
    const field = { key: model.newFieldKey(this.def, spec.type), type: spec.type, label: { ...info.name } };
    if (spec.type === 'select' || spec.type === 'multiselect') {
      field.options = [{ value: 'a', label: { 'zh-CN': '选项一', en: 'Option 1' } }, { value: 'b', label: { 'zh-CN': '选项二', en: 'Option 2' } }];
    }
    if (spec.type === 'group') field.fields = [];
    return field;
  }

  addStep(blockId, at) {
    const block = this.blocks.find((b) => b.id === blockId);
    let index = at;
    if (index == null) index = this.selection.type === 'step' ? this.selection.index + 1 : (this.def.steps || []).length;
    this.edit((d) => model.insertStep(d, index, model.newStep(d, block)));
    this.select({ type: 'step', index });
  }

  addFieldTo(target, spec, at) {
    if (!target || target.step == null) return;
    target = { step: target.step, group: target.group || [] };
    const field = this.newField(spec);
    this.edit((d) => model.addField(d, target.step, field, at, target.group));
    const step = this.def.steps[target.step];
    const list = target.group.length ? model.fieldList(this.def, target.group) : model.stepFields(this.def, step);
    this.select({ type: 'field', step: target.step, pos: list.indexOf(list.find((f) => f.key === field.key)), group: target.group });
  }

  removeStep(i) { this.edit((d) => model.removeStep(d, i)); this.select({ type: 'app' }); }

  drop(payload, zone) {
    if (zone.dataset.drop === 'step') {
      const at = Number(zone.dataset.index);
      if (payload.kind === 'block') this.addStep(payload.block, at);
      if (payload.kind === 'step') {
        const to = at > payload.index ? at - 1 : at;
        this.edit((d) => model.moveStep(d, payload.index, to));
        this.select({ type: 'step', index: to });
      }
      return;
    }
    const step = Number(zone.dataset.step);
    const group = zone.dataset.group ? zone.dataset.group.split('.').map(Number) : [];
    const at = Number(zone.dataset.at);
    if (payload.kind === 'field-type') this.addFieldTo({ step, group }, { type: payload.type }, at);
    else if (payload.kind === 'dict') this.addFieldTo({ step, group }, { dict: payload.dict }, at);
    else if (payload.kind === 'field' && payload.step === step && payload.group.join('.') === group.join('.')) {
      const to = at > payload.pos ? at - 1 : at;
      this.edit((d) => model.moveField(d, step, payload.pos, to, group));
      this.select({ type: 'field', step, pos: to, group });
    }
  }

  /** Moves the selection to what a problem points at, and the focus to its input. */
  reveal(pointer) {
    const m = pointer.match(/^\/steps\/(\d+)/);
    const f = pointer.match(/^\/record\/fields\/(\d+)/);
    if (m) this.select({ type: 'step', index: Number(m[1]) });
    else if (f) {
      const field = this.def.record.fields[Number(f[1])];
      const si = (this.def.steps || []).findIndex((s) => model.hasFields(s) && model.stepFields(this.def, s).includes(field));
      if (si >= 0) this.select({ type: 'field', step: si, pos: model.stepFields(this.def, this.def.steps[si]).indexOf(field), group: [] });
    } else if (pointer.startsWith('/transitions/')) {
      const tr = this.def.transitions[Number(pointer.split('/')[2])];
      const si = (this.def.steps || []).findIndex((s) => s.id === tr?.from);
      if (si >= 0) this.select({ type: 'step', index: si });
    } else this.select({ type: 'app' });
    this.showTab('properties');
    const exact = this.querySelector(`baida-properties [data-pointer="${CSS.escape(pointer)}"]`)
      || this.querySelector(`baida-properties [data-pointer^="${CSS.escape(pointer)}"]`);
    (exact || this.querySelector('baida-properties'))?.focus?.();
    exact?.scrollIntoView?.({ block: 'center' });
  }

  async publish() {
    await this.save();
    if (this.problems.length) { this.flash(t('publish_first'), true); this.querySelector('baida-problems').focusList(); return; }
    try {
      const r = await api('POST', `/api/v1/drafts/${encodeURIComponent(this.appId)}/publish`, { revision: this.revision });
      this.published = r.version;
      this.revision = 0;
      const d = await api('GET', `/api/v1/drafts/${encodeURIComponent(this.appId)}`);
      this.def = d.definition;
      this.flash(`${t('publish_done')} ${r.version}`);
      this.draw();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) this.flash(e.message || t('nothing_to_publish'), true);
      else { this.problems = e.problems?.length ? e.problems : this.problems; this.flash(e.message, true); this.draw(); }
    }
  }

  flash(message, bad = false) {
    const el = h('div', { class: `d-flash ${bad ? 'd-flash-bad' : ''}`, role: bad ? 'alert' : 'status' }, message,
      this.published && !bad ? h('a', { href: `/a/${this.community()}/${this.appId}`, target: '_blank', class: 'd-open-form' }, ` ${t('open_form')}`) : null);
    this.querySelector('.d-flash')?.remove();
    this.append(el);
    setTimeout(() => el.remove(), 8000);
  }

  community() { return this.homeCommunity || this.owner; }

  exportJson() {
    const blob = new Blob([JSON.stringify(this.def, null, 2)], { type: 'application/json' });
    const a = h('a', { href: URL.createObjectURL(blob), download: `${this.appId}.json` });
    document.body.append(a);
    a.click();
    a.remove();
  }

  async importJson(file) {
    if (!file) return;
    let def;
    try { def = JSON.parse(await file.text()); } catch { def = null; }
    this.querySelector('#d-import').value = '';
    if (!def || typeof def !== 'object' || Array.isArray(def) || !Array.isArray(def.steps)) { this.flash(t('import_bad'), true); return; }
    def.id = this.appId;
    this.edit((d) => { for (const k of Object.keys(d)) delete d[k]; Object.assign(d, def); });
    this.flash(t('imported'));
  }
}
customElements.define('baida-editor', Editor);
