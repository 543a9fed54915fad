// The place analysis page's map: the place's outline, local Moran's I clusters and outliers
// filled by quadrant, and Gi* hot and cold cells outlined; the data are in the page.
(function () {
  'use strict';
  const el = document.getElementById('analysismap');
  if (!el) return;
  const cfg = JSON.parse(document.getElementById('lb-config').textContent);
  const cells = JSON.parse(document.getElementById('lb-cells').textContent);
  const outline = JSON.parse(document.getElementById('lb-outline').textContent);
  const fill = { HH: '#c0392b', LL: '#2166ac', HL: '#f4a582', LH: '#92c5de' };
  const map = L.map(el);
  if (cfg.tiles) L.tileLayer(cfg.tiles, { maxZoom: 19, attribution: cfg.attribution || '' }).addTo(map);
  const place = L.geoJSON(outline, {
    style: { color: '#222', weight: 2, dashArray: '6 4', fillOpacity: 0.03 },
    interactive: false,
  }).addTo(map);
  const label = p => [
    p.quadrant ? cfg.labels[p.quadrant] : null,
    p.gistar ? cfg.labels[p.gistar.startsWith('hot') ? 'hot' : 'cold'] + ` (${p.gistar.split('_')[1]} %)` : null,
    `${cfg.labels.count}: ${p.count}`,
  ].filter(Boolean).join(' · ');
  L.geoJSON(cells, {
    style: f => {
      const p = f.properties;
      const hot = p.gistar && p.gistar.startsWith('hot');
      const ring = p.gistar ? (hot ? '#67001f' : '#053061') : '#666';
      return {
        color: ring,
        weight: p.gistar ? 3 : 0.5,
        fillColor: fill[p.quadrant] || '#ffffff',
        fillOpacity: p.quadrant ? 0.7 : 0.05,
      };
    },
    onEachFeature: (f, l) => l.bindTooltip(label(f.properties)),  // labels are ours, numbers
  }).addTo(map);
  map.fitBounds(place.getBounds().pad(0.05));
  el.dataset.features = String(cells.features.length);
})();
