// The place page's small map: the basemap, the place's boundary, its extents by mapping round
// and the hot spots (Gi*) of period B inside the place.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const el = document.getElementById('placemap');
  const colours = ['#1f5fa8', '#c0392b', '#1e7b34', '#a35f00', '#6a3d9a'];
  const HOT = { hot_99: '#b10026', hot_95: '#e31a1c', hot_90: '#fd8d3c',
    cold_99: '#08519c', cold_95: '#3182bd', cold_90: '#6baed6' };
  const msg = k => (cfg.msg && cfg.msg[k]) || k;
  // Leaflet shows a tooltip's text as HTML: names come from users, so they are escaped
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  const map = L.map(el, { maxZoom: 19 });
  const nf = new Intl.NumberFormat(cfg.lang === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: 1 });
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution || '' }).addTo(map);
  const hot = L.layerGroup().addTo(map);
  fetch(`/places/${el.dataset.place}/map.geojson`).then(r => r.json()).then(fc => {
    const rounds = [...new Set(fc.features.filter(f => f.properties.round).map(f => f.properties.round))].sort();
    const layer = L.geoJSON(fc, {
      style: f => f.properties.role === 'place'
        ? { color: '#222', weight: 2, dashArray: '6 4', fillOpacity: 0.03 }
        : { color: colours[rounds.indexOf(f.properties.round) % colours.length], weight: 3, fillOpacity: 0.15 },
      onEachFeature: (f, l) => l.bindTooltip(f.properties.role === 'place' ? esc(f.properties.name)
        : `${esc(f.properties.round)}: ${nf.format(f.properties.area_ha)} ha`),
    }).addTo(map);
    map.fitBounds(layer.getBounds().pad(0.1));
    el.dataset.features = String(fc.features.length);
  });
  if (el.dataset.from) {
    const q = new URLSearchParams({ place: el.dataset.place, from: el.dataset.from, to: el.dataset.to,
      layer: el.dataset.layer || 'crimes', cell: '50' });
    fetch('/map/hotspots.geojson?' + q).then(r => r.ok ? r.json() : { features: [] }).then(fc => {
      L.geoJSON(fc, {
        style: f => ({ color: HOT[f.properties.class] || '#999', weight: 0, fillOpacity: 0.5 }),
        onEachFeature: (f, l) => l.bindTooltip(`Gi* z = ${nf.format(f.properties.z)}, ${esc(msg('hotspot.' + f.properties.class))}`),
      }).addTo(hot);
      el.dataset.hotspots = String(fc.features.length);
      const n = document.getElementById('placemap-hot');
      if (n) n.textContent = '(' + nf.format(fc.features.length) + ')';
    });
  }
})();
