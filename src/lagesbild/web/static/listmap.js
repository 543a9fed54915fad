// The cameras' and guard areas' list pages: the records of the list on a small map (cameras as
// their fields of view, guard areas as their polygons), on the configured basemap.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const el = document.getElementById('listmap');
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  const map = L.map(el, { maxZoom: 19 }).setView([59.3326, 18.0649], 13);
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution || '' }).addTo(map);
  const cameras = el.dataset.layer === 'cameras';
  const url = cameras ? '/map/cameras.geojson' : '/api/v1/guard_areas?limit=1000';
  fetch(url, { credentials: 'same-origin' }).then(r => r.json()).then(fc => {
    const layer = L.geoJSON(fc, {
      style: cameras ? { color: '#6a3d9a', weight: 1, fillOpacity: 0.25 }
        : { color: '#1b7837', weight: 2, dashArray: '2 4', fillOpacity: 0.12 },
      onEachFeature: (f, l) => l.bindTooltip(cameras
        ? `${esc(f.properties.operator)} · ${esc(f.properties.range_m)} m`
        : esc(f.properties.name)),
    }).addTo(map);
    const b = layer.getBounds();
    if (b.isValid()) map.fitBounds(b.pad(0.15));
    el.dataset.features = String(fc.features.length);
  }).catch(() => { el.dataset.features = '0'; });
})();
