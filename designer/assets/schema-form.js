// The generic property panel: a form generated from a JSON Schema (a block's config schema,
// a field type's schema), the same renderer for every block kind. It understands what the
// schemas Baida generates contain: objects, lists, maps, enums, localized texts
// ({"zh-CN", "en"}), optional values, and `x-label` / `x-help` / `x-expression` annotations.
// Every input carries `data-pointer`, the JSON pointer of its value in the app definition,
// so a validation problem can be shown beside — and focus moved to — the input at fault.
import { t, txt, h, lang } from './i18n.js';

function resolve(schema, root) {
  let s = schema || {};
  for (let i = 0; i < 8 && s.$ref; i++) s = root.$defs?.[s.$ref.split('/').pop()] || {};
  return s;
}

/** Drops `null` from optional values (anyOf [X, null] → X; type [T, "null"] → T), and of
 *  alternatives such as "a text, or an object with a label" edits the richer object form. */
function nonNull(schema, root) {
  let s = { ...resolve(schema, root), ...pick(schema || {}) };
  for (let i = 0; i < 4; i++) {
    const alts = s.anyOf || s.oneOf;
    if (!alts || alts.every((a) => a.const !== undefined || a.enum) || isText(s, root)) break;
    const rest = alts.filter((a) => a.type !== 'null').map((a) => resolve(a, root));
    const object = rest.find((a) => a.properties);
    if (rest.length === 1) s = { ...rest[0], ...pick(s) };
    else if (object) s = { ...object, ...pick(s) };
    else break;
  }
  if (Array.isArray(s.type)) s = { ...s, type: s.type.find((x) => x !== 'null') };
  return s;
}
const pick = (s) => Object.fromEntries(['x-label', 'x-help', 'x-expression', 'description'].filter((k) => k in s).map((k) => [k, s[k]]));

/** A localized text: `{"zh-CN": …, "en": …}` or a plain string, possibly optional. */
function isText(schema, root, depth = 0) {
  const s = resolve(schema, root);
  if (s.properties?.['zh-CN']) return true;
  return depth < 3 && (s.anyOf || s.oneOf || []).some((a) => isText(a, root, depth + 1));
}

function enumValues(s) {
  if (s.enum) return s.enum.map((v) => [v, v]);
  const alts = s.oneOf || s.anyOf;
  if (alts && alts.every((a) => a.const !== undefined || (a.enum && a.enum.length === 1))) {
    return alts.map((a) => [a.const ?? a.enum[0], a.description ? `${a.const ?? a.enum[0]} — ${a.description}` : a.const ?? a.enum[0]]);
  }
  return null;
}

function labelOf(name, s) {
  return s['x-label'] ? txt(s['x-label']) : name;
}
function helpOf(s) {
  if (s['x-help']) return txt(s['x-help']) || s.description || '';
  return lang() === 'en' ? s.description || '' : '';
}

function problemList(problems, pointer) {
  const mine = problems.filter((p) => p.pointer === pointer);
  if (!mine.length) return null;
  return h('ul', { class: 'd-field-problems' }, mine.map((p) => h('li', {},
    p.line ? `${t('line_col', { l: p.line, c: p.column || 1 })}：` : '', txt(p.message),
    p.hint ? h('span', { class: 'd-hint' }, ` ${txt(p.hint)}`) : null)));
}

/** A code excerpt with a caret under the column the runtime reported. */
function caret(source, p) {
  if (!p.line) return null;
  const line = (source || '').split('\n')[p.line - 1] ?? '';
  return h('pre', { class: 'd-caret', 'aria-hidden': 'true' }, `${line}\n${' '.repeat(Math.max(0, (p.column || 1) - 1))}^`);
}

/** What a dictionary field gives a property the field leaves unsaid (shown as a placeholder). */
function inheritedText(ctx, name, l) {
  const v = ctx.inherited?.[name];
  return v == null ? '' : typeof v === 'string' ? v : v[l] || '';
}

function parseLoose(text) {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (s === 'true' || s === 'false') return s === 'true';
  if (/^[[{"]/.test(s)) { try { return JSON.parse(s); } catch { /* keep as text */ } }
  return s;
}

/**
 * Renders `value` under `schema` at `pointer`. `ctx` = {root, problems, onChange(pointer, v)}.
 */
export function renderValue(name, schema, value, pointer, ctx, required = false) {
  const { root, problems, onChange } = ctx;
  const s = nonNull(schema, root);
  const id = `p${pointer.replace(/[^a-zA-Z0-9]/g, '-')}`;
  const label = h('label', { for: id }, labelOf(name, s), required ? h('span', { class: 'd-req', 'aria-hidden': 'true' }, ' *') : null);
  const help = helpOf(s) ? h('p', { class: 'd-help' }, helpOf(s)) : null;
  const row = (...control) => h('div', { class: 'd-prop', 'data-prop': name }, label, ...control, help, problemList(problems, pointer));

  if (isText(schema, root)) {
    const v = typeof value === 'string' ? { 'zh-CN': value } : value || {};
    // Both languages are read from the inputs, which may be newer than `value`.
    const set = () => (e) => {
      const [zh, en] = e.target.parentElement.querySelectorAll('input');
      const next = { 'zh-CN': zh.value };
      if (en.value) next.en = en.value;
      onChange(pointer, zh.value || en.value ? next : undefined);
    };
    return row(
      h('div', { class: 'd-text2' },
        h('input', { id, 'data-pointer': pointer, value: v['zh-CN'] || '', placeholder: inheritedText(ctx, name, 'zh-CN') || t('zh'), 'aria-label': `${labelOf(name, s)}（${t('zh')}）`, onchange: set('zh-CN') }),
        h('input', { 'data-pointer': `${pointer}/en`, value: v.en || '', placeholder: inheritedText(ctx, name, 'en') || t('en'), lang: 'en', 'aria-label': `${labelOf(name, s)} (${t('en')})`, onchange: set('en') })));
  }
  const options = enumValues(s);
  if (options) {
    return row(h('select', { id, 'data-pointer': pointer, onchange: (e) => onChange(pointer, e.target.value || undefined) },
      h('option', { value: '' }, ctx.inherited?.[name] ? `— ${ctx.inherited[name]} 📚` : '—'),
      options.map(([v, l]) => h('option', { value: v, selected: v === value }, ctx.optionNames?.[v] ? `${ctx.optionNames[v]}（${v}）` : l))));
  }
  if (s.type === 'boolean') {
    return h('div', { class: 'd-prop d-check', 'data-prop': name },
      h('label', {}, h('input', { type: 'checkbox', id, 'data-pointer': pointer, checked: !!value, onchange: (e) => onChange(pointer, e.target.checked || undefined) }), ' ', labelOf(name, s)),
      help, problemList(problems, pointer));
  }
  if (s.type === 'integer' || s.type === 'number') {
    return row(h('input', { id, type: 'number', 'data-pointer': pointer, value: value ?? '', step: s.type === 'integer' ? '1' : 'any',
      onchange: (e) => onChange(pointer, e.target.value === '' ? undefined : Number(e.target.value)) }));
  }
  if (s.type === 'string') {
    if (s['x-expression']) {
      const mine = problems.filter((p) => p.pointer === pointer);
      return h('div', { class: 'd-prop d-expr', 'data-prop': name }, label,
        h('textarea', { id, class: 'd-code', 'data-pointer': pointer, rows: name === 'run' ? 6 : 2, spellcheck: 'false', 'aria-invalid': mine.length ? 'true' : null,
          onchange: (e) => onChange(pointer, e.target.value || undefined) }, value ?? ''),
        mine.map((p) => caret(value, p)), help, problemList(problems, pointer));
    }
    return row(h('input', { id, 'data-pointer': pointer, value: value ?? '', onchange: (e) => onChange(pointer, e.target.value || undefined) }));
  }
  if (s.type === 'array') {
    const items = nonNull(s.items, root);
    const list = Array.isArray(value) ? value : [];
    if (items.type === 'string' && !enumValues(items)) {
      return row(h('input', { id, 'data-pointer': pointer, value: list.join(', '), placeholder: 'a, b, c',
        onchange: (e) => onChange(pointer, e.target.value.split(/[,，、\s]+/).filter(Boolean)) }));
    }
    return h('fieldset', { class: 'd-prop d-list', 'data-prop': name }, h('legend', {}, labelOf(name, s)), help, problemList(problems, pointer),
      list.map((item, i) => h('div', { class: 'd-list-item' },
        renderValue(`${i + 1}`, s.items, item, `${pointer}/${i}`, ctx),
        h('button', { type: 'button', class: 'd-small', onclick: () => onChange(pointer, list.filter((_, j) => j !== i)) }, t('remove')))),
      h('button', { type: 'button', class: 'd-small', 'data-pointer': `${pointer}/-`,
        onclick: () => onChange(pointer, [...list, items.type === 'object' || items.properties || isText(s.items, root) ? {} : '']) }, `+ ${t('add')}`));
  }
  if (s.type === 'object' || s.properties) {
    if (!s.properties && s.additionalProperties) {
      const entries = Object.entries(value || {});
      const write = (rows) => onChange(pointer, rows.length ? Object.fromEntries(rows) : undefined);
      return h('fieldset', { class: 'd-prop d-map', 'data-prop': name }, h('legend', {}, labelOf(name, s)), help, problemList(problems, pointer),
        entries.map(([k, v], i) => h('div', { class: 'd-map-row' },
          h('input', { value: k, 'aria-label': `${labelOf(name, s)} ${i + 1}`, onchange: (e) => write(entries.map((x, j) => (j === i ? [e.target.value, x[1]] : x))) }),
          h('span', {}, '→'),
          h('input', { value: typeof v === 'string' ? v : JSON.stringify(v), 'data-pointer': `${pointer}/${k}`, onchange: (e) => write(entries.map((x, j) => (j === i ? [x[0], e.target.value] : x))) }),
          h('button', { type: 'button', class: 'd-small', onclick: () => write(entries.filter((_, j) => j !== i)) }, t('remove')))),
        h('button', { type: 'button', class: 'd-small', onclick: () => write([...entries, [`key${entries.length + 1}`, '']]) }, `+ ${t('add')}`));
    }
    const inner = [help, problemList(problems, pointer), renderProperties(s, value || {}, pointer, ctx)];
    // An optional group not set yet (a step's time limit, say) stays folded, so its own
    // required parts do not look required for the step.
    if (!required && value == null) {
      return h('details', { class: 'd-prop d-object', 'data-prop': name }, h('summary', {}, `${labelOf(name, s)} ＋`), ...inner);
    }
    return h('fieldset', { class: 'd-prop d-object', 'data-prop': name }, h('legend', {}, labelOf(name, s)), ...inner);
  }
  // Anything else (a number or a text, any JSON value): one input, read loosely.
  const shown = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return row(h('input', { id, 'data-pointer': pointer, value: shown, onchange: (e) => onChange(pointer, parseLoose(e.target.value)) }));
}

/** The properties a person looks for first; the rest follow in schema order. */
const FIRST = ['id', 'name', 'key', 'type', 'label', 'dict', 'required', 'help', 'placeholder', 'options', 'who', 'fields',
  'channel', 'to', 'template', 'rules', 'otherwise', 'sla'];

/** Every property of an object schema, the familiar ones first, skipping `skip`. */
export function renderProperties(schema, value, pointer, ctx, skip = []) {
  const s = nonNull(schema, ctx.root);
  const required = new Set(s.required || []);
  const rank = (name) => (FIRST.includes(name) ? FIRST.indexOf(name) : FIRST.length);
  return Object.entries(s.properties || {})
    .filter(([name]) => !skip.includes(name))
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(([name, sub]) => renderValue(name, sub, value?.[name], `${pointer}/${name}`, ctx, required.has(name)));
}
