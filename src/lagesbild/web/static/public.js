// The public map: extents per mapping round, no points. Works without tiles.
(function () {
  const el = document.getElementById('map');
  const map = L.map(el);
  // numbers and statuses in the page's language (data-lang, data-statuses)
  const nf = new Intl.NumberFormat(el.dataset.lang === 'en' ? 'en-GB' : 'sv-SE', { maximumFractionDigits: 1 });
  const statuses = JSON.parse(el.dataset.statuses || '{}');
  const colours = ['#1f78b4', '#e31a1c', '#33a02c', '#ff7f00', '#6a3d9a'];
  // Leaflet shows a tooltip's text as HTML: names come from users, so they are escaped
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  fetch(el.dataset.source).then(r => r.json()).then(fc => {
    const rounds = [...new Set(fc.features.map(f => f.properties.round))].sort();
    const overlays = {};
    rounds.forEach((round, i) => {
      overlays[String(round)] = L.geoJSON(fc.features.filter(f => f.properties.round === round), {
        style: { color: colours[i % colours.length], weight: 2, fillOpacity: 0.15 },
        onEachFeature: (f, l) => l.bindTooltip(
          `${esc(f.properties.place)} ${esc(round)}: ${nf.format(f.properties.area_ha)} ha (${esc(statuses['status.' + f.properties.status] || f.properties.status)})`)
      }).addTo(map);
    });
    const all = L.featureGroup(Object.values(overlays));
    if (all.getLayers().length) map.fitBounds(all.getBounds()); else map.setView([59.3326, 18.0649], 13);
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    el.dataset.features = fc.features.length;
  });
})();
