/*
 * shopkeep track.js — tells shopkeep what a shopper does on the shop's pages, for recommendations (docs/events.md).
 *
 *   <script>
 *     window.shopkeep = window.shopkeep || { q: [] };
 *     shopkeep.track = shopkeep.track || function () { shopkeep.q.push(arguments); };
 *     shopkeep.track('viewed', { product: 'rs-001' });
 *   </script>
 *   <script src="https://assistant.your-shop.com/track.js" async></script>
 *
 * Kinds: viewed, clicked, added_to_cart ({product, quantity}), purchased ({order: {id, lines}}), page ({product}
 * or {category}). Events go over the chat socket as `track` messages with the widget's visitor id
 * (localStorage `shopkeep.visitor`), a browsing session id (sessionStorage) and a random event id, so a resent
 * event is stored once. Nothing here blocks the page; a refused event is logged to the console.
 */
(function () {
  'use strict';
  var W = window;
  var script = document.currentScript;
  var base = new URL(script && script.src ? script.src : location.href, location.href);
  var url = (base.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + base.host + '/v1/chat';

  function random(prefix) {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return prefix + Array.prototype.map.call(b, function (x) { return x.toString(16).padStart(2, '0'); }).join('');
  }
  // The same id as the widget's: one shopper, one profile.
  function kept(storage, key, prefix) {
    try {
      var id = storage.getItem(key);
      if (!id) {
        id = random(prefix);
        storage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return (W.__shopkeepIds = W.__shopkeepIds || {})[key] || (W.__shopkeepIds[key] = random(prefix));
    }
  }

  var ws = null;
  var queue = [];
  var wait = 500;
  function send() {
    while (ws && ws.readyState === 1 && queue.length) ws.send(JSON.stringify(queue.shift()));
  }
  function connect() {
    ws = new WebSocket(url);
    ws.onopen = function () { wait = 500; send(); };
    ws.onmessage = function (e) {
      try {
        var m = JSON.parse(e.data);
        if (m.type === 'error') console.warn('shopkeep.track: ' + m.message);
      } catch (err) { /* not ours */ }
    };
    ws.onclose = function () {
      ws = null;
      if (queue.length) setTimeout(connect, (wait = Math.min(wait * 2, 30000)));
    };
  }

  function track(kind, data) {
    var event = { id: random('t-'), kind: String(kind), session: kept(sessionStorage, 'shopkeep.browse', 'b-') };
    for (var k in data || {}) if (Object.prototype.hasOwnProperty.call(data, k)) event[k] = data[k];
    queue.push({ type: 'track', visitor: kept(localStorage, 'shopkeep.visitor', 'v-'), event: event });
    // A page that never reaches the server does not pile up events without end.
    if (queue.length > 100) queue.shift();
    if (!ws) connect();
    else send();
  }

  var early = (W.shopkeep && W.shopkeep.q) || [];
  W.shopkeep = W.shopkeep || {};
  W.shopkeep.track = track;
  W.shopkeep.q = [];
  for (var i = 0; i < early.length; i++) track.apply(null, early[i]);
})();
