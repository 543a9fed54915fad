// The public map: scene extents per mapping round, no points. Works without tiles. The latest
// round's scenes carry a permanent label (name, hectares, status); earlier rounds are drawn
// dashed, labelled when hovered, and each round can be switched off in the layer control.
(function () {
  const el = document.getElementById('map');
  if (!el) return;
  const map = L.map(el, { scrollWheelZoom: false });
  const nf = new Intl.NumberFormat(el.dataset.lang === 'en' ? 'en-GB' : 'sv-SE', { maximumFractionDigits: 1 });
  const statuses = JSON.parse(el.dataset.statuses || '{}');
  const colours = ['#1f5fa8', '#a50f15', '#1e6b2f', '#8a4b00', '#6a3d9a'];
  // Leaflet shows a tooltip's text as HTML: names come from users, so they are escaped
  const esc = s => String(s == null ? '' : s).replace(/[&<>"']/g, ch => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
  fetch(el.dataset.source).then(r => r.json()).then(fc => {
    const rounds = [...new Set(fc.features.map(f => f.properties.round))].sort();
    const latest = rounds[rounds.length - 1];
    const overlays = {};
    rounds.forEach((round, i) => {
      const layer = L.geoJSON(fc.features.filter(f => f.properties.round === round), {
        style: { color: colours[i % colours.length], weight: round === latest ? 3 : 2,
                 fillOpacity: round === latest ? 0.2 : 0.08, dashArray: round === latest ? null : '4 4' },
        onEachFeature: (f, l) => {
          const p = f.properties;
          const label = `${esc(p.place)} ${esc(round)}: ${nf.format(p.area_ha)} ha`;
          const status = esc(statuses['status.' + p.status] || p.status || '');
          l.bindTooltip(`${label} (${status})`,
            { permanent: round === latest, direction: 'center', className: 'scene-label' });
        }
      });
      layer.addTo(map);
      overlays[String(round)] = layer;
    });
    const all = L.featureGroup(Object.values(overlays));
    if (all.getLayers().length) map.fitBounds(all.getBounds(), { padding: [20, 20] });
    else map.setView([59.3326, 18.0649], 13);
    if (rounds.length) L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    el.dataset.features = fc.features.length;
    el.dataset.ready = '1';
  });
})();
