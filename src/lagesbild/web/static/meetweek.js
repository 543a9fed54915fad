// The week's priorities map: the district's areas and the week's priorities; a writer clicks
// the map to set the priority on a point (sent as GeoJSON with the form), or leaves it for the
// whole place. Clicking inside an area also picks that place in the form.
(function () {
  'use strict';
  const el = document.getElementById('week-map');
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const msg = k => (cfg.msg && cfg.msg[k]) || k;
  const m = window.LBMeetMap.create(el);
  const form = document.getElementById('priority-form');
  if (!form) return;
  const geometry = document.getElementById('geometry');
  const stateEl = document.getElementById('geometry-state');
  const placeSel = document.getElementById('p-place');
  let marker = null;
  function show(lat, lon) {
    if (marker) marker.remove();
    marker = L.circleMarker([lat, lon], { radius: 9, color: '#d4007a', fillColor: '#d4007a', fillOpacity: 0.6 }).addTo(m.map);
    stateEl.textContent = msg('meet_point_set');
  }
  if (geometry.value) {
    try { const g = JSON.parse(geometry.value); show(g.coordinates[1], g.coordinates[0]); } catch (e) { geometry.value = ''; }
  }
  m.map.on('click', ev => {
    const { lat, lng } = ev.latlng;
    geometry.value = JSON.stringify({ type: 'Point', coordinates: [Number(lng.toFixed(6)), Number(lat.toFixed(6))] });
    show(lat, lng);
    // the smallest area containing the click becomes the place
    let best = null;
    m.layer.eachLayer(l => {
      const f = l.feature;
      if (!f || f.properties.kind !== 'area' || !l.getBounds || !l.getBounds().contains(ev.latlng)) return;
      const b = l.getBounds(); const size = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
      if (!best || size < best.size) best = { name: f.properties.name, size };
    });
    if (best) placeSel.value = best.name;
  });
  document.getElementById('geometry-clear').addEventListener('click', () => {
    geometry.value = ''; if (marker) marker.remove(); marker = null; stateEl.textContent = msg('meet_whole_place');
  });
})();
