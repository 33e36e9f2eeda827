// Drag and drop with pointer events, so the same code serves a mouse, a pen and a finger.
// A draggable carries a payload ({kind: 'block' | 'field-type' | 'dict' | 'step' | 'field', …});
// drop zones are elements with `data-drop` naming what they accept (`step` or `field`); the
// editor decides what a drop means. Keyboard users have buttons for everything instead.

let onDrop = () => {};
const ACCEPTS = { block: 'step', step: 'step', 'field-type': 'field', dict: 'field', field: 'field' };

export function setDropHandler(fn) { onDrop = fn; }

function zoneAt(x, y, kind) {
  const el = document.elementFromPoint(x, y);
  const zone = el && el.closest('[data-drop]');
  return zone && zone.dataset.drop === ACCEPTS[kind] ? zone : null;
}

function autoscroll(y) {
  const box = document.querySelector('.d-canvas');
  if (!box) return;
  const r = box.getBoundingClientRect();
  if (y < r.top + 40) box.scrollTop -= 12;
  else if (y > r.bottom - 40) box.scrollTop += 12;
}

/** Makes `el` draggable; `payload()` says what it carries; `label` is shown under the pointer. */
export function draggable(el, payload, label) {
  el.classList.add('d-draggable');
  el.addEventListener('pointerdown', (down) => {
    if (down.button !== 0 || down.target.closest('button:not(.d-draggable), input, select, textarea')) return;
    const start = { x: down.clientX, y: down.clientY };
    const data = payload();
    let ghost = null;
    let zone = null;
    el.setPointerCapture(down.pointerId);
    const move = (e) => {
      if (!ghost) {
        if (Math.hypot(e.clientX - start.x, e.clientY - start.y) < 6) return;
        ghost = document.createElement('div');
        ghost.className = 'd-ghost';
        ghost.textContent = label();
        document.body.append(ghost);
        document.body.classList.add('d-dragging', `d-dragging-${ACCEPTS[data.kind]}`);
      }
      ghost.style.left = `${e.clientX + 8}px`;
      ghost.style.top = `${e.clientY + 8}px`;
      const z = zoneAt(e.clientX, e.clientY, data.kind);
      if (z !== zone) {
        zone?.classList.remove('d-over');
        zone = z;
        zone?.classList.add('d-over');
      }
      autoscroll(e.clientY);
      e.preventDefault();
    };
    const end = (e) => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', end);
      el.removeEventListener('pointercancel', end);
      if (!ghost) return;
      ghost.remove();
      document.body.classList.remove('d-dragging', 'd-dragging-step', 'd-dragging-field');
      zone?.classList.remove('d-over');
      // The click that follows a drag is not a click.
      const swallow = (c) => { c.stopPropagation(); c.preventDefault(); };
      el.addEventListener('click', swallow, { capture: true, once: true });
      setTimeout(() => el.removeEventListener('click', swallow, { capture: true }), 0);
      if (e.type === 'pointerup' && zone) onDrop(data, zone);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', end);
    el.addEventListener('pointercancel', end);
  });
}
