// Observation rounds with an outbox, as the field report (outbox.js): each round is kept on the
// device first and sent with its own key until the server has answered for it, so the server
// stores it exactly once.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = (k, v) => (cfg.msg[k] || k).replace(/\{(\w+)\}/g, (_, n) => (v || {})[n]);
  const form = document.getElementById('observation-round-form');
  const status = document.getElementById('observe-status');
  const outbox = document.getElementById('observe-outbox');

  // the + and - buttons beside each group's count
  form.querySelectorAll('button.step').forEach(b => b.addEventListener('click', () => {
    const input = document.getElementById(b.dataset.for);
    input.value = String(Math.max(0, (parseInt(input.value, 10) || 0) + Number(b.dataset.step)));
  }));

  function round() {
    const f = form.elements;
    const counts = {};
    form.querySelectorAll('input[name^="count_"]').forEach(i => { counts[i.name.slice(6)] = parseInt(i.value, 10) || 0; });
    const activities = [...form.querySelectorAll('input[name^="act_"]:checked')].map(i => i.name.slice(4));
    return {
      key: f.key.value || box.newKey(), place: f.place.value, started_at: f.started_at.value,
      counts, weather: f.weather.value, activities, note: f.note.value.trim(),
      planned_id: f.planned_id.value || null,
    };
  }

  const box = window.lbOutbox({
    key: 'lagesbild.rounds.v1',
    user: cfg.user,
    url: '/api/v1/observation_rounds',
    body: item => item.round,
    say: (kind, vars) => { status.textContent = msg('observe_' + kind, vars); },
    shown: n => {
      outbox.textContent = n ? msg('observe_outbox', { n }) : '';
      document.body.dataset.outbox = String(n);
    },
    sent: item => {
      const li = document.createElement('li');
      li.textContent = `${item.round.place} · ${item.round.started_at.replace('T', ' ')}`;
      const list = document.getElementById('recent-rounds');
      const none = list.querySelector('.none'); if (none) none.remove();
      list.prepend(li);
    },
    refused: () => {},
    flushed: () => {},
  });

  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const r = round();
    if (!r.place) { status.textContent = msg('observe_place'); form.elements.place.focus(); return; }
    // a fresh form for the next round: a new key, the counts back to 0
    form.elements.key.value = box.newKey();
    form.querySelectorAll('input[name^="count_"]').forEach(i => { i.value = '0'; });
    form.querySelectorAll('input[name^="act_"]').forEach(i => { i.checked = false; });
    form.elements.note.value = '';
    box.add({ key: r.key, round: r });
  });
}());
