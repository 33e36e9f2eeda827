// Baida resident form: live conditions, computed values and cascading options.
// Every rule is evaluated by the server (one expression language); this script only asks
// for the form's state as the resident types and shows it. Without it, the form still works.
const form = document.querySelector('form[data-state]');
if (form) {
  const full = new Map();
  for (const sel of form.querySelectorAll('select[data-depends-on]')) {
    full.set(sel.id, JSON.parse(sel.dataset.all || '[]'));
  }
  let timer = 0;
  let seq = 0;
  const refresh = async () => {
    const body = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === 'string') body.append(k, v);
    const mine = ++seq;
    const res = await fetch(form.dataset.state, { method: 'POST', body });
    if (!res.ok || mine !== seq) return;
    const s = await res.json();
    for (const [id, visible] of Object.entries(s.visible)) {
      const wrap = document.getElementById(id + '-wrap');
      if (wrap) wrap.hidden = !visible;
    }
    for (const [id, required] of Object.entries(s.required)) {
      const wrap = document.getElementById(id + '-wrap');
      const label = wrap && wrap.querySelector('label, legend');
      if (!label) continue;
      let mark = label.querySelector('.req');
      if (required && !mark) {
        mark = document.createElement('span');
        mark.className = 'req';
        mark.textContent = ' *';
        label.append(mark);
      } else if (!required && mark) mark.remove();
    }
    for (const [id, value] of Object.entries(s.computed)) {
      const out = document.getElementById(id);
      if (out) out.textContent = value == null ? '' : String(value);
    }
    for (const [id, values] of Object.entries(s.options)) {
      const sel = document.getElementById(id);
      if (!sel || !full.has(id)) continue;
      const keep = sel.value;
      const first = sel.querySelector('option[value=""]');
      sel.replaceChildren(first);
      for (const [value, text] of full.get(id)) {
        if (!values.includes(value)) continue;
        const o = new Option(text, value, false, value === keep);
        sel.append(o);
      }
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 200); };
  form.addEventListener('input', later);
  form.addEventListener('change', later);
  for (const btn of form.querySelectorAll('button.locate')) {
    if (!navigator.geolocation) continue;
    btn.hidden = false;
    const status = btn.parentElement.querySelector('.locate-status');
    btn.addEventListener('click', () => navigator.geolocation.getCurrentPosition((p) => {
      form.elements[btn.dataset.for + '.lon'].value = p.coords.longitude.toFixed(6);
      form.elements[btn.dataset.for + '.lat'].value = p.coords.latitude.toFixed(6);
      btn.parentElement.querySelector('details').open = true;
      status.textContent = '';
    }, () => { status.textContent = btn.dataset.failed; }, { timeout: 10000 }));
  }
  // A slider says its value as it moves.
  for (const range of form.querySelectorAll('input[type=range]')) {
    const out = form.querySelector(`output[for="${range.id}"]`);
    if (out) range.addEventListener('input', () => { out.textContent = range.value; });
  }
  // A long list of register rows: typing narrows the options (the chosen one always stays).
  for (const input of form.querySelectorAll('input.pick-filter')) {
    const select = document.getElementById(input.dataset.filterFor);
    if (!select) continue;
    input.addEventListener('input', (e) => {
      e.stopPropagation();
      const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      for (const option of select.options) {
        if (!option.value) continue;
        const text = option.textContent.toLowerCase();
        option.hidden = !option.selected && !words.every((w) => text.includes(w));
      }
    });
  }
  const summary = document.getElementById('error-summary');
  if (summary) summary.focus();
}
