// The designer's words in zh-CN (first) and English, and picking a language out of the
// model's localized texts ({"zh-CN": …, "en": …} or a plain string).

const WORDS = {
  apps: ['我的应用', 'My apps'],
  new_app: ['新建空白应用', 'New blank app'],
  show_archived: ['显示已归档', 'Show archived'],
  edit: ['编辑', 'Edit'],
  duplicate: ['复制', 'Duplicate'],
  archive: ['归档', 'Archive'],
  unarchive: ['恢复', 'Restore'],
  status_draft: ['草稿', 'Draft'],
  status_published: ['已发布', 'Published'],
  status_changed: ['有未发布的修改', 'Unpublished changes'],
  archived: ['已归档', 'Archived'],
  version: ['版本', 'Version'],
  last_change: ['最后修改', 'Last change'],
  no_apps: ['还没有应用。点“新建空白应用”开始。', 'No apps yet. Start with “New blank app”.'],
  back: ['← 应用列表', '← Apps'],
  undo: ['撤销', 'Undo'],
  redo: ['重做', 'Redo'],
  export: ['导出', 'Export'],
  import: ['导入', 'Import'],
  history: ['版本历史', 'History'],
  test_run: ['试运行', 'Test run'],
  publish: ['发布', 'Publish'],
  saving: ['保存中…', 'Saving…'],
  saved: ['已自动保存', 'Saved'],
  unsaved: ['有未保存的修改', 'Unsaved changes'],
  save_failed: ['保存失败', 'Could not save'],
  conflict: ['此应用已在别处被修改，请刷新页面后再编辑。', 'This app was changed elsewhere; reload the page before editing.'],
  read_only: ['您没有编辑此应用的权限，只能查看。', 'You may not edit this app; you can only look.'],
  palette: ['积木', 'Blocks'],
  search: ['搜索积木或字段', 'Search blocks and fields'],
  flow_blocks: ['流程积木', 'Flow blocks'],
  field_types: ['字段类型', 'Field types'],
  dictionary: ['数据字典', 'Data dictionary'],
  dictionary_hint: ['选中一个表单步骤后，可把字段拖进去', 'Select a form step, then drag fields into it'],
  canvas: ['流程', 'Flow'],
  properties: ['属性', 'Properties'],
  preview: ['预览', 'Preview'],
  problems: ['问题', 'Problems'],
  no_problems: ['没有问题，可以发布。', 'No problems: ready to publish.'],
  n_problems: ['个问题需要修正', 'problem(s) to fix'],
  drop_here: ['拖到这里', 'Drop here'],
  drop_field_here: ['把字段类型拖到这里', 'Drop field types here'],
  add_hint: ['按 Enter 添加到流程', 'Press Enter to add to the flow'],
  move_up: ['上移', 'Move up'],
  move_down: ['下移', 'Move down'],
  delete: ['删除', 'Delete'],
  copy: ['复制', 'Duplicate'],
  goes_to: ['去向', 'Goes to'],
  add_transition: ['添加去向', 'Add a way on'],
  when: ['当', 'when'],
  ends: ['流程结束', 'The case closes'],
  app_settings: ['应用设置', 'App settings'],
  messages: ['消息模板', 'Messages'],
  messages_help: ['通知步骤按标识选用这些消息；可用变量 {{record.字段}}、{{case.number}}、{{today}} 等，短信不能引用自由填写的内容。', 'Notify steps pick these by id; variables such as {{record.field}}, {{case.number}}, {{today}}; an SMS cannot quote free text.'],
  registers: ['台账', 'Registers'],
  registers_help: ['比案件存续更久的数据：车位、志愿者、独居老人……“写台账”步骤和台账页面都会写入。', 'Data that outlives cases: parking spaces, volunteers, elderly residents… written by register steps and on the register page.'],
  schedules: ['定时任务', 'Schedules'],
  schedules_help: ['按工作日历定时生成案件，可为台账中符合条件的每一行各生成一件。', 'Open cases on the working calendar, one per matching register row if you like.'],
  add_schedule: ['添加定时任务', 'Add a schedule'],
  schedule_unpublished: ['发布后开始运行。', 'Runs once published.'],
  schedule_next: ['下次运行', 'Next run'],
  schedule_last: ['上次运行', 'Last run'],
  schedule_cases: ['件案件', 'cases'],
  schedule_paused: ['已暂停', 'paused'],
  schedule_waiting: ['这次运行将生成 {n} 件案件，超过了确认门槛，等待确认。', 'This run would open {n} cases, over the threshold: it waits for a confirmation.'],
  schedule_pause: ['暂停', 'Pause'],
  schedule_resume: ['恢复', 'Resume'],
  schedule_confirm: ['确认运行', 'Confirm the run'],
  schedule_preview: ['试运行', 'Dry run'],
  schedule_dry: ['现在运行将生成 {n} 件案件（只是试算，没有生成）。', 'A run now would open {n} cases (a dry run: none opened).'],
  step: ['步骤', 'Step'],
  field: ['字段', 'Field'],
  step_id: ['步骤标识', 'Step id'],
  step_name: ['步骤名称', 'Step name'],
  name: ['名称', 'Name'],
  description: ['简介', 'Description'],
  category: ['分类', 'Category'],
  icon: ['图标', 'Icon'],
  submit_access: ['谁可以提交', 'Who may submit'],
  zh: ['中文', 'Chinese'],
  en: ['英文', 'English'],
  add: ['添加', 'Add'],
  remove: ['移除', 'Remove'],
  yes: ['是', 'Yes'],
  no: ['否', 'No'],
  line_col: ['第 {l} 行第 {c} 列', 'line {l}, column {c}'],
  publish_done: ['已发布版本', 'Published version'],
  publish_first: ['先修正问题再发布', 'Fix the problems before publishing'],
  nothing_to_publish: ['没有需要发布的修改', 'Nothing new to publish'],
  versions: ['已发布的版本', 'Published versions'],
  show_changes: ['查看改动', 'Show changes'],
  rollback: ['回滚到此版本', 'Roll back to this'],
  rollback_done: ['已回滚，新版本', 'Rolled back as version'],
  unpublished: ['未发布的修改', 'Unpublished changes'],
  no_changes: ['没有改动', 'No changes'],
  close: ['关闭', 'Close'],
  run: ['运行', 'Run'],
  go_on: ['按这些答案继续', 'Go on with these answers'],
  sample_answers: ['示例答案', 'Sample answers'],
  what_happened: ['发生了什么', 'What happened'],
  would_send: ['会发送的通知（试运行不真正发送）', 'Messages that would go out (nothing is sent)'],
  clocks: ['会启动的时限', 'Clocks that would start'],
  stops_at: ['停在', 'Stops at'],
  held_by: ['承办', 'held by'],
  closed: ['案件办结', 'The case closes'],
  import_bad: ['文件不是有效的 JSON 应用定义', 'The file is not a JSON app definition'],
  imported: ['已导入，可撤销', 'Imported (undo to go back)'],
  preview_unavailable: ['修正问题后显示预览', 'The preview shows once the problems are fixed'],
  lang_switch: ['English', '中文'],
  untitled: ['未命名应用', 'Untitled app'],
  confirm_delete: ['删除这一项？', 'Delete this?'],
  open_form: ['打开居民表单', 'Open the resident form'],
  ledger_entries: ['会记入账本', 'Would be booked'],
  loading: ['加载中…', 'Loading…'],
};

export function lang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q === 'en' || q === 'zh-CN') return q;
  return localStorage.getItem('baida-lang') === 'en' ? 'en' : 'zh-CN';
}

export function setLang(l) {
  localStorage.setItem('baida-lang', l);
  const url = new URL(location.href);
  url.searchParams.delete('lang');
  location.href = url.toString();
}

export function t(key, vars = {}) {
  const w = WORDS[key];
  let s = w ? w[lang() === 'en' ? 1 : 0] : key;
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, v);
  return s;
}

/** A localized text of the model in the current language. */
export function txt(v) {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  return (lang() === 'en' ? v.en || v['zh-CN'] : v['zh-CN'] || v.en) || '';
}

/** A small element builder: h('div', {class: 'x', onclick}, child, …). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
