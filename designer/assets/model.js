// Pure edits of an app definition. Each function takes a definition (already cloned by the
// editor) and changes it in place. Steps keep a linear flow wired as they are added, moved and
// removed; branches (transitions with conditions) are kept where they still make sense.

export const clone = (d) => structuredClone(d);

const steps = (d) => (d.steps ||= []);
const transitions = (d) => (d.transitions ||= []);
export const recordFields = (d) => ((d.record ||= {}).fields ||= []);

/** A step id not used yet, from the block kind: `notify`, `notify_2`, … */
export function newStepId(d, base) {
  const used = new Set(steps(d).map((s) => s.id));
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** A field key not used yet anywhere in the record. */
export function newFieldKey(d, base) {
  const used = new Set();
  const walk = (fs) => fs.forEach((f) => { used.add(f.key); if (f.fields) walk(f.fields); });
  walk(recordFields(d));
  base = base.replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '') || 'field';
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** A new step of a block kind with a starting configuration. */
export function newStep(d, block) {
  const config = {
    form: { who: ['reporter'], fields: [] },
    dispatch: { otherwise: 'list:responsibility' },
    handle: { fields: [] },
    review: { fields: [] },
  }[block.id] || {};
  return { id: newStepId(d, block.id), name: { ...block.name }, block: block.id, config: structuredClone(config) };
}

function dedupe(d) {
  const seen = new Set();
  d.transitions = transitions(d).filter((t) => {
    const k = `${t.from}→${t.to}→${t.when || ''}`;
    if (seen.has(k) || t.from === t.to && !t.when) return false;
    seen.add(k);
    return true;
  });
}

/** Inserts `step` at `index`, wiring it between its neighbours. */
export function insertStep(d, index, step) {
  const list = steps(d);
  index = Math.max(0, Math.min(index, list.length));
  const prev = list[index - 1];
  const next = list[index];
  const ts = transitions(d);
  if (prev && next) {
    let rewired = false;
    for (const t of ts) if (t.from === prev.id && t.to === next.id && !t.when) { t.to = step.id; rewired = true; }
    const prevHasWay = ts.some((t) => t.from === prev.id);
    if (!prevHasWay) ts.push({ from: prev.id, to: step.id });
    if (rewired || !prevHasWay) ts.push({ from: step.id, to: next.id });
  } else if (prev) {
    if (!ts.some((t) => t.from === prev.id && !t.when)) ts.push({ from: prev.id, to: step.id });
  } else if (next) {
    ts.push({ from: step.id, to: next.id });
  }
  list.splice(index, 0, step);
  dedupe(d);
}

/** Removes the step at `index`; ways into it lead to where it led. Returns the step and its
 *  own conditional ways out (so a move can keep them). */
export function removeStep(d, index) {
  const [step] = steps(d).splice(index, 1);
  if (!step) return null;
  const ts = transitions(d);
  const onward = ts.find((t) => t.from === step.id && !t.when && t.to !== step.id)?.to;
  const branches = ts.filter((t) => t.from === step.id && t.when);
  d.transitions = ts
    .filter((t) => t.from !== step.id)
    .map((t) => (t.to === step.id ? (onward ? { ...t, to: onward } : null) : t))
    .filter(Boolean);
  dedupe(d);
  return { step, branches };
}

export function moveStep(d, from, to) {
  if (from === to || to < 0 || to >= steps(d).length) return;
  const removed = removeStep(d, from);
  insertStep(d, to, removed.step);
  transitions(d).push(...removed.branches);
  dedupe(d);
}

export function duplicateStep(d, index) {
  const copy = structuredClone(steps(d)[index]);
  copy.id = newStepId(d, copy.id.replace(/_\d+$/, ''));
  insertStep(d, index + 1, copy);
}

/** Renames a step and every transition that names it. */
export function renameStep(d, index, id) {
  const step = steps(d)[index];
  for (const t of transitions(d)) {
    if (t.from === step.id) t.from = id;
    if (t.to === step.id) t.to = id;
  }
  step.id = id;
}

/** Steps whose config has a `fields` list a person fills. */
export const hasFields = (step) => ['form', 'sign', 'handle', 'review', 'claim'].includes(step.block);

/** The record fields a step shows, in form order (record order). */
export function stepFields(d, step) {
  const keys = step.config?.fields;
  return recordFields(d).filter((f) => (keys ? keys.includes(f.key) : step.block === 'form'));
}

/** The field list at a path: [] is the record, [i] the repeat group at record field i, … */
export function fieldList(d, groupPath) {
  let list = recordFields(d);
  for (const i of groupPath) list = (list[i].fields ||= []);
  return list;
}

/** Adds a field to a step's form (or to a repeat group when `groupPath` is given) at `at`
 *  (a position among the fields the step shows). */
export function addField(d, stepIndex, field, at, groupPath = []) {
  const step = steps(d)[stepIndex];
  if (groupPath.length) {
    const list = fieldList(d, groupPath);
    list.splice(at ?? list.length, 0, field);
    return;
  }
  step.config ||= {};
  if (!step.config.fields) step.config.fields = step.block === 'form' ? recordFields(d).map((f) => f.key) : [];
  const shown = stepFields(d, step);
  const all = recordFields(d);
  const before = shown[at ?? shown.length];
  const pos = before ? all.indexOf(before) : (shown.length ? all.indexOf(shown[shown.length - 1]) + 1 : all.length);
  all.splice(pos, 0, field);
  step.config.fields = stepFields(d, { ...step, config: { fields: [...step.config.fields, field.key] } }).map((f) => f.key);
}

/** Moves a field within what a step shows (or within a repeat group). */
export function moveField(d, stepIndex, from, to, groupPath = []) {
  if (groupPath.length) {
    const list = fieldList(d, groupPath);
    if (to < 0 || to >= list.length) return;
    const [f] = list.splice(from, 1);
    list.splice(to, 0, f);
    return;
  }
  const step = steps(d)[stepIndex];
  const shown = stepFields(d, step);
  if (to < 0 || to >= shown.length || from === to) return;
  const all = recordFields(d);
  const moving = shown[from];
  const target = shown[to];
  all.splice(all.indexOf(moving), 1);
  const ti = all.indexOf(target);
  all.splice(from < to ? ti + 1 : ti, 0, moving);
  if (step.config?.fields) step.config.fields = stepFields(d, step).map((f) => f.key);
}

/** Takes a field off a step; it leaves the record when no step shows it any more. */
export function removeField(d, stepIndex, pos, groupPath = []) {
  if (groupPath.length) { fieldList(d, groupPath).splice(pos, 1); return; }
  const step = steps(d)[stepIndex];
  const f = stepFields(d, step)[pos];
  if (!f) return;
  step.config ||= {};
  if (!step.config.fields) step.config.fields = stepFields(d, step).map((x) => x.key);
  step.config.fields = step.config.fields.filter((k) => k !== f.key);
  const used = steps(d).some((s) => hasFields(s) && (s.config?.fields ? s.config.fields.includes(f.key) : s.block === 'form'));
  if (!used) recordFields(d).splice(recordFields(d).indexOf(f), 1);
}

export function duplicateField(d, stepIndex, pos, groupPath = []) {
  const list = groupPath.length ? fieldList(d, groupPath) : stepFields(d, steps(d)[stepIndex]);
  const copy = structuredClone(list[pos]);
  copy.key = newFieldKey(d, copy.key.replace(/_\d+$/, ''));
  addField(d, stepIndex, copy, pos + 1, groupPath);
}

/** The value at a JSON pointer, and setting one (creating objects on the way). */
export function getAt(obj, pointer) {
  if (!pointer) return obj;
  return pointer.split('/').slice(1).reduce((o, k) => (o == null ? undefined : o[unescape(k)]), obj);
}
const unescape = (k) => k.replace(/~1/g, '/').replace(/~0/g, '~');

export function setAt(obj, pointer, value) {
  const keys = pointer.split('/').slice(1).map(unescape);
  let o = obj;
  keys.slice(0, -1).forEach((k, i) => {
    if (o[k] == null) o[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    o = o[k];
  });
  const last = keys[keys.length - 1];
  const empty = value === undefined || value === '' || (Array.isArray(value) && value.length === 0 && !pointer.endsWith('/fields'));
  if (empty && !Array.isArray(o)) delete o[last];
  else o[last] = value;
}

/** Sample answers for a list of fields, by type, for the test run. */
export function sampleAnswer(f, opts = []) {
  const first = opts[0]?.[0] ?? (f.options?.[0]?.value ?? f.options?.[0]);
  switch (f.type) {
    case 'number': case 'integer': return 1;
    case 'select': return first ?? '';
    case 'multiselect': return first != null ? [first] : [];
    case 'date': return new Date().toISOString().slice(0, 10);
    case 'datetime': return new Date().toISOString().slice(0, 16);
    case 'phone': return '13800138000';
    case 'email': return 'someone@example.cn';
    case 'yes_no': return true;
    case 'rating': return 5;
    case 'time': return '09:30';
    case 'slider': return Number(f.min ?? 0);
    case 'photo': return ['0'.repeat(64)];
    case 'location': return { lon: 121.47, lat: 31.23, address: '示例地址' };
    case 'group': return [];
    case 'id_number': return '11010519491231002X';
    default: return f.key === 'decision' ? 'approve' : '示例';
  }
}
