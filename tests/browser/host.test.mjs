// The widget on pages it does not control: a strict Content-Security-Policy, hostile page CSS, an origin the server
// refuses, and a server that is away. Pages come from a node server on 127.0.0.1:0 (a loopback origin, which the
// server allows) or are answered by Playwright for a made-up origin (http://shop.test, which it refuses).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BASE, T, axe, completeWithMouse, current, fmtViolations, launch, newPage, shot } from './lib.mjs';

const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
const WS_BASE = BASE.replace(/^http/, 'ws');
/** The CSP lines docs/embedding.md tells a shop to add, for this server. */
const CSP_LINES = `script-src ${BASE}; connect-src ${BASE} ${WS_BASE}; img-src ${BASE}`;
const STRICT_CSP = `default-src 'none'; style-src 'self'; ${CSP_LINES}`;
/**
 * Page CSS that would wreck a widget reached by inheritance or by element selectors; a transform or filter on <body>
 * would make the widget's fixed launcher and panel follow the page instead of the screen.
 */
const HOSTILE_CSS = `
html{font-size:30px}
body{font:italic 22px/3 serif;color:#f0f;letter-spacing:3px;word-spacing:9px;text-transform:uppercase;text-align:right;
  white-space:pre;text-shadow:1px 1px red;cursor:wait;font-weight:900;text-indent:40px;font-variant:small-caps;
  transform:translateZ(0);filter:saturate(1)}
div{font-size:22px!important;line-height:3!important;font-family:serif!important;color:red!important;
  transform:translateX(40px)!important;display:flex!important;opacity:.5!important;filter:blur(1px)!important;
  padding:30px!important;position:relative!important;z-index:0!important}
*{box-sizing:content-box!important;margin:7px!important}
button,input{all:unset!important;font-size:40px!important}
`;
const page = (title, css, script) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">${css ? `<link rel="stylesheet" href="/shop.css">` : ''}</head>
<body><h1>${title}</h1><p>Some shop page.</p>${script}</body></html>`;
const widgetTag = `<script src="${esc(BASE)}/widget.js" data-flow="running-shoes" data-locale="en" data-open="true" async></script>`;
const inlineTag = `<div id="finder" data-shopkeep-inline data-flow="running-shoes" data-locale="en"></div>
<script src="${esc(BASE)}/widget.js" async></script>`;
/** A shop's theme, as docs/embedding.md documents it. */
const THEME_CSS = `:root{--sk-accent:#8a1c7c;--sk-accent-text:#fff;--sk-radius:4px;--sk-font:Georgia,serif;--sk-bg:#fffbe6;--sk-fg:#2b2118}`;

/** Computed styles of the widget's parts that a page could disturb. */
function styles(pg) {
  return pg.evaluate(() => {
    const root = document.querySelector('#shopkeep-widget').shadowRoot;
    const props = ['font-size', 'font-family', 'font-style', 'font-weight', 'line-height', 'color', 'letter-spacing',
      'word-spacing', 'text-transform', 'text-align', 'white-space', 'text-indent', 'text-shadow', 'box-sizing',
      'background-color', 'opacity', 'filter', 'margin-top', 'padding-top', 'width', 'height'];
    const out = {};
    for (const sel of ['.launch', '.panel', 'h2', '[data-current] .q', '[data-current] .chip', 'form.comp input', '.log']) {
      const el = root.querySelector(sel);
      if (!el) throw new Error(`no ${sel} in the widget`);
      const cs = getComputedStyle(el);
      out[sel] = Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
      const r = el.getBoundingClientRect();
      out[sel].box = [r.x, r.y, r.width, r.height].map(Math.round).join(',');
    }
    return out;
  });
}

describe('on a shop page', () => {
  let browser;
  let server;
  let origin;
  const routes = {
    '/clean': { body: page('Clean shop', false, widgetTag) },
    '/hostile': { body: page('Hostile shop', true, widgetTag) },
    '/shop.css': { body: HOSTILE_CSS, type: 'text/css' },
    '/inline-clean': { body: page('Clean shop', false, inlineTag) },
    '/inline-hostile': { body: page('Hostile shop', true, inlineTag) },
    '/themed': { body: page('Themed shop', false, widgetTag).replace('</head>', '<link rel="stylesheet" href="/theme.css"></head>') },
    '/theme.css': { body: THEME_CSS, type: 'text/css' },
    '/accent-only': { body: page('Purple shop', false, widgetTag).replace('</head>', '<link rel="stylesheet" href="/accent.css"></head>') },
    '/accent.css': { body: ':root{--sk-accent:#8a1c7c}', type: 'text/css' },
    '/light-accent': { body: page('Yellow shop', false, widgetTag.replace(' async', ' data-theme="#f5c518" async')) },
    '/csp': { body: page('Strict shop', true, widgetTag), csp: STRICT_CSP },
    '/csp-no-img': {
      body: page('Strict knife shop', false, widgetTag.replace('data-flow="running-shoes" data-locale="en"', 'data-flow="knives" data-locale="ja"')),
      csp: `default-src 'none'; style-src 'self'; script-src ${BASE}; connect-src ${BASE} ${WS_BASE}`,
    },
    '/csp-no-connect': { body: page('Strict shop', false, widgetTag), csp: `default-src 'none'; style-src 'self'; script-src ${BASE}` },
  };
  before(async () => {
    browser = await launch();
    server = createServer((req, res) => {
      const r = routes[new URL(req.url, 'http://x').pathname];
      const headers = { 'content-type': `${r ? r.type || 'text/html' : 'text/plain'}; charset=utf-8` };
      if (r && r.csp) headers['content-security-policy'] = r.csp;
      res.writeHead(r ? 200 : 404, headers);
      res.end(r ? r.body : 'not found');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${server.address().port}`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r()));
  });

  /** Open `path` and wait for the first question; records CSP violations and console errors. */
  async function visit(path, opts) {
    const p = await newPage(browser, opts);
    p.violations = [];
    p.consoleErrors = [];
    p.page.on('console', (m) => m.type() === 'error' && p.consoleErrors.push(m.text()));
    await p.page.exposeFunction('__cspViolation', (v) => p.violations.push(v));
    await p.page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__cspViolation(`${e.effectiveDirective} ${e.blockedURI}`)));
    await p.page.goto(`${origin}${path}`);
    return p;
  }

  test('a strict CSP (style-src self) with the documented lines: styled, working, no violation', async () => {
    const { page: pg, context, violations, rec } = await visit('/csp');
    try {
      const w = pg.locator('#shopkeep-widget');
      const c = await current(w);
      assert.equal(c.id, 'terrain');
      // styled: the panel is a fixed, rounded card, the launcher a round accent button
      const look = await w.locator('.panel').evaluate((e) => {
        const cs = getComputedStyle(e);
        return { position: cs.position, radius: cs.borderTopLeftRadius, font: cs.fontSize };
      });
      assert.deepEqual(look, { position: 'fixed', radius: '16px', font: '15px' }, 'the widget is styled');
      await c.el.locator('.chip[data-value=road]').click();
      assert.equal((await current(w)).id, 'priorities', 'the chat works through connect-src');
      assert.ok(rec.sent.some((m) => m.type === 'answer'));
      assert.deepEqual(violations, [], 'the widget needs nothing beyond the documented CSP lines');
      await shot(pg, 'host-strict-csp');
    } finally {
      await context.close();
    }
  });

  test('hostile page CSS does not reach inside: computed styles equal those on a clean page', async () => {
    const clean = await visit('/clean');
    const hostile = await visit('/hostile');
    try {
      for (const { page: pg } of [clean, hostile]) await current(pg.locator('#shopkeep-widget'));
      const [want, got] = [await styles(clean.page), await styles(hostile.page)];
      assert.equal(want['[data-current] .q']['font-size'], '15px');
      assert.equal(await hostile.page.locator('h1').evaluate((e) => getComputedStyle(e).fontFamily), 'serif',
        'the hostile CSS applies to the page itself');
      for (const sel of Object.keys(want)) assert.deepEqual(got[sel], want[sel], `${sel} unchanged by the page's CSS`);
      await shot(clean.page, 'host-clean');
      await shot(hostile.page, 'host-hostile');
    } finally {
      await clean.context.close();
      await hostile.context.close();
    }
  });

  test('an inline finder under hostile page CSS: its insides computed as on a clean page', async () => {
    const clean = await visit('/inline-clean');
    const hostile = await visit('/inline-hostile');
    try {
      const inside = (pg) => pg.evaluate(() => {
        const root = document.querySelector('#finder').shadowRoot;
        const props = ['font-size', 'font-family', 'font-style', 'font-weight', 'line-height', 'color', 'letter-spacing',
          'text-transform', 'text-align', 'white-space', 'text-indent', 'text-shadow', 'box-sizing', 'background-color'];
        return Object.fromEntries(['.panel', 'h2', '[data-current] .q', '[data-current] .chip', 'form.comp input'].map((sel) => {
          const el = root.querySelector(sel);
          if (!el) throw new Error(`no ${sel} in the inline finder`);
          const cs = getComputedStyle(el);
          return [sel, Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]))];
        }));
      });
      for (const { page: pg } of [clean, hostile]) await current(pg.locator('#finder'));
      const [want, got] = [await inside(clean.page), await inside(hostile.page)];
      assert.equal(want['[data-current] .q']['font-size'], '15px');
      // the host is the shop's own element: the page's div rule reaches it, and stops there
      assert.equal(await hostile.page.locator('#finder').evaluate((e) => getComputedStyle(e).fontFamily), 'serif');
      for (const sel of Object.keys(want)) assert.deepEqual(got[sel], want[sel], `${sel} unchanged by the page's CSS`);
      await shot(hostile.page, 'host-hostile-inline');
    } finally {
      await clean.context.close();
      await hostile.context.close();
    }
  });

  test('the documented custom properties theme the widget; the dark theme keeps a shop’s colours and its accent readable', async () => {
    const look = (pg) => pg.evaluate(() => {
      const root = document.querySelector('#shopkeep-widget').shadowRoot;
      const cs = (sel) => getComputedStyle(root.querySelector(sel));
      return {
        launcher: cs('.launch').backgroundColor,
        radius: cs('.panel').borderTopLeftRadius,
        panel: cs('.panel').backgroundColor,
        text: cs('.log').color,
        bubble: cs('[data-current] .q').backgroundColor,
        font: cs('[data-current] .q').fontFamily,
        chip: cs('[data-current] .chip').color,
      };
    });
    const shop = { launcher: 'rgb(138, 28, 124)', radius: '4px', panel: 'rgb(255, 251, 230)', text: 'rgb(43, 33, 24)', font: 'Georgia, serif' };
    for (const colorScheme of ['light', 'dark']) {
      const seen = {};
      for (const path of ['/themed', '/accent-only', '/light-accent']) {
        const { page: pg, context } = await newPage(browser, { colorScheme });
        try {
          await pg.goto(`${origin}${path}`);
          await current(pg.locator('#shopkeep-widget'));
          seen[path] = await look(pg);
          const found = await axe(pg);
          assert.deepEqual(found, [], `${path} under ${colorScheme}: ${fmtViolations(found)}`);
          if (colorScheme === 'dark') await shot(pg, `host-theme-${path.slice(1)}-dark`);
        } finally {
          await context.close();
        }
      }
      const { bubble, chip, ...themed } = seen['/themed'];
      // the shop's palette on every screen, its unset colours (the bubbles) from the light palette, not the dark
      assert.deepEqual(themed, shop, `the shop's theme under ${colorScheme}`);
      assert.equal(bubble, 'rgb(241, 244, 246)', `the bubbles under ${colorScheme}`);
      // setting only the accent keeps the visitor's scheme
      assert.equal(seen['/accent-only'].launcher, 'rgb(138, 28, 124)');
      assert.equal(seen['/accent-only'].panel, colorScheme === 'dark' ? 'rgb(22, 27, 32)' : 'rgb(255, 255, 255)');
      // a light accent (data-theme) is dark ink on the light background, lightened on the dark one
      const ink = seen['/light-accent'].chip;
      if (colorScheme === 'light') assert.equal(ink, 'rgb(29, 35, 42)');
      else assert.notEqual(ink, 'rgb(29, 35, 42)', 'no dark ink on the dark background');
    }
  });

  test('a CSP without img-src for the server: tiles without broken pictures, and the console names the line to add', async () => {
    const { page: pg, context } = await visit('/csp-no-img');
    const warnings = [];
    pg.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    try {
      const w = pg.locator('#shopkeep-widget');
      const c = await current(w);
      assert.equal(c.id, 'knife_type');
      assert.equal(await c.el.locator('.tile').count(), 7, 'the options are still there');
      // every blocked picture leaves its tile (which keeps its label), none shows a broken-image icon
      const deadline = Date.now() + T;
      while ((await c.el.locator('.tile img').count()) > 0 || !warnings.some((m) => m.includes('img-src'))) {
        assert.ok(Date.now() < deadline, `pictures left: ${await c.el.locator('.tile img').count()}; warnings: ${warnings}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(await c.el.locator('.tile').first().textContent(), '三徳包丁');
      assert.deepEqual(warnings.filter((m) => m.startsWith('shopkeep:')),
        [`shopkeep: this page's Content-Security-Policy blocks the product pictures. Add to it: img-src ${BASE} (see docs/embedding.md).`],
        'said once');
      await c.el.locator('.tile').first().click();
      assert.equal((await current(w)).id, 'steel', 'the chat goes on');
      // the picks' cards keep an empty frame where the picture would be
      await completeWithMouse(w);
      const cards = w.locator('[data-current] .card');
      const n = await cards.count();
      assert.ok(n >= 1);
      while ((await cards.locator('img').count()) > 0) {
        assert.ok(Date.now() < deadline, 'the cards still show blocked pictures');
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(await cards.locator('div.im').count(), n, 'one empty frame a card');
      await shot(pg, 'host-csp-no-img');
    } finally {
      await context.close();
    }
  });

  test('a CSP without connect-src for the server: unavailable, and the console names the line to add', async () => {
    const { page: pg, context, consoleErrors } = await visit('/csp-no-connect');
    try {
      const status = pg.locator('#shopkeep-widget .status');
      await status.filter({ hasText: /isn’t available on this page/ }).waitFor();
      const deadline = Date.now() + T;
      while (!consoleErrors.some((e) => e.includes('connect-src'))) {
        assert.ok(Date.now() < deadline, `no console message names connect-src: ${consoleErrors.join('\n')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(consoleErrors.some((e) => e.includes(`connect-src ${BASE} ${WS_BASE}`)), consoleErrors.join('\n'));
    } finally {
      await context.close();
    }
  });
});

describe('connection states', () => {
  let browser;
  let server;
  let shopOrigin;
  before(async () => {
    // http://shop.test:PORT is this loopback node server under a name: the shopkeep server does not allow it
    browser = await launch(['--host-resolver-rules=MAP shop.test 127.0.0.1']);
    server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Shop', false, widgetTag));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    shopOrigin = `http://shop.test:${server.address().port}`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r()));
  });

  test('a refused origin: says unavailable, stops retrying, names --allow-origin in the console', async () => {
    const { page: pg, context, rec } = await newPage(browser);
    const errors = [];
    pg.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await pg.goto(`${shopOrigin}/`);
      const w = pg.locator('#shopkeep-widget');
      await w.locator('.status', { hasText: 'isn’t available on this page' }).waitFor();
      assert.equal(await w.locator('form.comp input').isDisabled(), true, 'nothing to type into');
      assert.ok(errors.some((e) => e.includes(`--allow-origin ${shopOrigin}`)), errors.join('\n'));
      // A retry would come within 0.5 s (the first backoff): wait three times that and count the sockets.
      const sockets = rec.sockets;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(rec.sockets, sockets, 'no retries once refused');
      assert.equal(sockets, 1);
      await shot(pg, 'refused-origin');
    } finally {
      await context.close();
    }
  });

  test('a page without a web origin (a file opened from disk): unavailable, and the console says to serve it over http(s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shopkeep-file-'));
    const file = join(dir, 'shop.html');
    writeFileSync(file, page('Shop on disk', false, widgetTag));
    const { page: pg, context } = await newPage(browser);
    const errors = [];
    pg.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    try {
      await pg.goto(pathToFileURL(file).href);
      const w = pg.locator('#shopkeep-widget');
      await w.locator('.status', { hasText: 'isn’t available on this page' }).waitFor();
      const deadline = Date.now() + T;
      while (!errors.some((e) => e.startsWith('shopkeep:'))) {
        assert.ok(Date.now() < deadline, `no shopkeep console message: ${errors.join('\n')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      const said = errors.find((e) => e.startsWith('shopkeep:'));
      assert.match(said, /no web origin .*Serve the page over https/, said);
      assert.doesNotMatch(said, /--allow-origin (file|null)/, 'advice the server would refuse at start');
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an outage: says so, keeps retrying with backoff, keeps what was typed', async () => {
    const { page: pg, context } = await newPage(browser);
    let attempts = 0;
    try {
      // The widget is served from http://down.test, whose chat socket and access check both fail (no such host).
      const js = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../widget/widget.js'), 'utf8');
      await pg.route('http://down.test/**', (route) => {
        const path = new URL(route.request().url()).pathname;
        if (path === '/widget.js') return route.fulfill({ contentType: 'text/javascript', body: js });
        if (path === '/') return route.fulfill({ contentType: 'text/html', body: page('Shop', false,
          '<script src="/widget.js" data-flow="running-shoes" data-open="true"></script>') });
        return route.abort('connectionrefused');
      });
      await pg.routeWebSocket('ws://down.test/v1/chat', (ws) => {
        attempts++;
        ws.close({ code: 1011, reason: 'down' }).catch(() => {});
      });
      await pg.goto('http://down.test/');
      const w = pg.locator('#shopkeep-widget');
      await w.locator('.status', { hasText: 'can’t be reached right now' }).waitFor();
      const input = w.locator('form.comp input');
      await input.fill('trail running in the rain');
      await input.press('Enter');
      await w.locator('.msg.err', { hasText: 'Not connected' }).waitFor();
      assert.equal(await input.inputValue(), 'trail running in the rain', 'the typed answer is kept');
      const deadline = Date.now() + T;
      while (attempts < 3) {
        assert.ok(Date.now() < deadline, `the widget retries (attempts: ${attempts})`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await shot(pg, 'outage');
    } finally {
      await context.close();
    }
  });
});
