// Embedding: a merchant page on another origin loads widget.js from the shopkeep server; inline mounts.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { BASE, assertCards, completeWithMouse, current, demoUrl, launch, newPage, shot, waitFrames } from './lib.mjs';

const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

const PAGES = {
  '/': `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;margin:40px"><h1>Another shop</h1><p>A merchant page on its own origin.</p>
<script src="${esc(BASE)}/widget.js" data-flow="running-shoes" data-locale="en" data-theme="#7a2e8c"
  data-position="left" data-open="true" data-visitor="cust-42" async></script></body></html>`,
  '/mount': `<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>Mount</title></head>
<body><main><h1>包丁</h1><div id="finder"></div></main>
<script src="${esc(BASE)}/widget.js" data-flow="knives" data-shopkeep-mount="#finder" async></script></body></html>`,
};

describe('embedding', () => {
  let browser;
  let server;
  let origin;
  before(async () => {
    browser = await launch();
    server = createServer((req, res) => {
      const body = PAGES[new URL(req.url, 'http://x').pathname];
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body || 'not found');
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${server.address().port}`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r()));
  });

  test('a page on another origin embeds the widget and completes a finder', async () => {
    assert.notEqual(new URL(BASE).origin, origin, 'the page is on another origin');
    const { page, rec, context } = await newPage(browser);
    try {
      await page.goto(`${origin}/`);
      const w = page.locator('#shopkeep-widget');
      await w.locator('[role=dialog]').waitFor({ state: 'visible' });
      const start = await waitFrames(rec, 'sent', (m) => m.type === 'start', 'start');
      assert.equal(start.visitor, 'cust-42');
      assert.equal(start.locale, 'en');
      // the theme and position attributes apply
      const bg = await w.locator('button.launch').evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(bg, 'rgb(122, 46, 140)');
      const box = await w.locator('[role=dialog]').boundingBox();
      assert.ok(box.x < 100, 'data-position=left puts the panel on the left');
      await completeWithMouse(w, { terrain: 'road' });
      await assertCards(w);
      // images and links point at the shopkeep server, not the merchant page
      const src = await w.locator('[data-current] .card img').first().getAttribute('src');
      assert.ok(src.startsWith(`${BASE}/`), `image on the shopkeep server: ${src}`);
      const loaded = await w.locator('[data-current] .card img').first().evaluate((i) =>
        i.complete ? i.naturalWidth > 0 : new Promise((r) => { i.onload = () => r(true); i.onerror = () => r(false); }));
      assert.ok(loaded, 'the product image loads cross-origin');
      const href = await w.locator('[data-current] .card a.view').first().getAttribute('href');
      assert.ok(href.startsWith(`${BASE}/p/`), `link on the shopkeep server: ${href}`);
      await shot(page, 'cross-origin');
    } finally {
      await context.close();
    }
  });

  test('data-shopkeep-mount renders the finder inline, in the page language', async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.goto(`${origin}/mount`);
      const inl = page.locator('#finder');
      const c = await current(inl);
      assert.ok(c.id);
      assert.equal(await page.locator('#shopkeep-widget').count(), 0, 'no launcher when mounted');
      assert.equal(await inl.getByRole('region').count(), 1, 'the inline finder is a labelled region');
      await completeWithMouse(inl);
      await assertCards(inl, { price: /[¥￥]/ });
      await shot(page, 'mounted-inline');
    } finally {
      await context.close();
    }
  });

  test('the demo page inline finder (data-shopkeep-inline) works next to the launcher', async () => {
    const { page, context } = await newPage(browser);
    try {
      await page.goto(demoUrl({ inline: 'backpacks', flow: 'running-shoes' }));
      const inl = page.locator('#inline-finder');
      await inl.scrollIntoViewIfNeeded();
      const c = await current(inl);
      assert.ok(c.kind);
      await completeWithMouse(inl, { use: { text: 'cycling to work' } });
      await assertCards(inl);
      await inl.scrollIntoViewIfNeeded();
      await shot(page, 'demo-inline');
      // the launcher is independent
      await page.locator('#shopkeep-widget button.launch').click();
      await current(page.locator('#shopkeep-widget'));
    } finally {
      await context.close();
    }
  });
});
