// Baida case tracking: new timeline lines, status and step arrive live by server-sent events.
// EventSource resumes after the last event it saw (Last-Event-ID). Without it, reload the page.
const list = document.getElementById('timeline');
if (list && window.EventSource) {
  const source = new EventSource(list.dataset.stream);
  source.addEventListener('timeline', (m) => {
    const e = JSON.parse(m.data);
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.textContent = e.at;
    li.append(time, ' ', e.text);
    list.append(li);
    document.getElementById('status').textContent = e.status;
    document.getElementById('current-step').textContent = e.current_step;
  });
}
