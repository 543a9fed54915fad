// The place page's small map: the place's boundary and its extents by mapping round.
(function () {
  'use strict';
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const el = document.getElementById('placemap');
  const colours = ['#1f5fa8', '#c0392b', '#1e7b34', '#a35f00', '#6a3d9a'];
  // Leaflet shows a tooltip's text as HTML: names come from users, so they are escaped
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  const map = L.map(el);
  const nf = new Intl.NumberFormat(cfg.lang === 'sv' ? 'sv-SE' : 'en-GB', { maximumFractionDigits: 1 });
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 19 }).addTo(map);
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
})();
