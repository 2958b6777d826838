// The demo shop's script: served as /demo.js, so the page carries no inline script (a strict CSP).
// It copies the embed a merchant adds, applying the page's query parameters, and adds it to the page.
(() => {
  const q = new URLSearchParams(location.search);
  const tpl = document.getElementById('shopkeep-embed').content.querySelector('script');
  const s = document.createElement('script');
  for (const a of tpl.attributes) s.setAttribute(a.name, a.value);
  const set = (param, attr) => { const v = q.get(param); if (v) s.setAttribute(attr, v); };
  set('flow', 'data-flow'); set('theme', 'data-theme'); set('position', 'data-position');
  set('open', 'data-open'); set('visitor', 'data-visitor'); set('context', 'data-context');
  set('cta', 'data-cta'); set('auto_open', 'data-auto-open'); set('cart', 'data-add-to-cart'); set('scheme', 'data-color-scheme');
  if (q.has('locale')) s.setAttribute('data-locale', q.get('locale'));
  else if (q.has('flow') && q.get('flow') !== 'running-shoes') s.removeAttribute('data-locale');
  // the inline finder: ?inline=<flow> picks it, ?inline=none removes it; never the same finder as the bubble
  const inline = document.getElementById('inline-finder');
  const want = q.get('inline');
  if (want === 'none') inline.closest('section').remove();
  else {
    let flow = want || 'backpacks';
    if (!want && flow === s.dataset.flow) flow = 'running-shoes';
    inline.dataset.flow = flow;
    if (flow === 'knives') inline.dataset.locale = 'ja';
  }
  const line = document.getElementById('embed-line');
  if (line) line.textContent = '<script src="' + new URL('/widget.js', location.href).href + '" data-flow="' + s.dataset.flow + '" async></' + 'script>';
  document.getElementById('open-assistant').addEventListener('click', () => {
    if (window.Shopkeep) window.Shopkeep.open();
  });
  document.body.append(s);
})();
