// Everything from the server is text: the catalog's XSS product, and hostile links and images.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, T, completeWithMouse, demoUrl, launch, newPage, openWidget, shot, waitFrames, widget } from './lib.mjs';

const XSS_TITLE = '<img src=x onerror=alert(1)>';
// rs-xss is a $94 lightweight road shoe in brown: a road runner who wants light shoes for training, on a
// budget typed in words as 93 to 95 dollars, any colour, gets it among the picks.
const XSS_PATH = {
  terrain: 'road',
  priorities: ['light'],
  race: 'no',
  budget: { text: '93 to 95' },
  colour: 'any',
};

/** No <img src="x"> anywhere (page or shadow roots), and every card image has loaded or failed by now. */
async function injectedImages(page) {
  await page.waitForFunction(() => {
    const host = document.querySelector('#shopkeep-widget');
    return [...host.shadowRoot.querySelectorAll('img')].every((i) => i.complete);
  }, null, { timeout: T });
  return page.evaluate(() => {
    const found = [];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') found.push('img[src=x]');
        if (el.hasAttribute('onerror')) found.push(`${el.tagName}[onerror]`);
        if (el.tagName === 'SCRIPT' && el.closest('#shopkeep-widget')) found.push('script in widget');
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return found;
  });
}

/**
 * Replace the page's chat socket with a stand-in that answers `start` with a session, a message holding HTML
 * and then `products`; it records what the widget sends in window.__sent. Used only where the real server
 * cannot be made to send such data (hostile strings; a finder with email capture).
 */
function stubServer(page, products) {
  return page.addInitScript((products) => {
    window.__sent = [];
    const Real = window.WebSocket;
    class Stub extends EventTarget {
      constructor(url) {
        super();
        this.url = url;
        this.readyState = 0;
        this.bufferedAmount = 0;
        setTimeout(() => {
          this.readyState = 1;
          this.onopen?.({});
        }, 10);
      }
      send(data) {
        const m = JSON.parse(data);
        window.__sent.push(m);
        const reply = (o) => setTimeout(() => this.onmessage?.({ data: JSON.stringify(o) }), 5);
        if (m.type === 'start') {
          reply({ type: 'session', v: 1, session: 's', token: 't', flow: m.flow, title: '<em>T</em>', locale: 'en', resumed: false });
          reply({ type: 'message', text: '<img src=x onerror=alert(5)>' });
          reply(products);
        } else if (m.type === 'consent') {
          reply({ type: 'message', text: 'Thanks!' });
        }
      }
      close() {
        this.readyState = 3;
      }
    }
    window.WebSocket = function (url, p) {
      return /\/v1\/chat/.test(url) ? new Stub(url) : new Real(url, p);
    };
  }, products);
}

describe('security', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('a product titled with HTML is shown as literal text and runs nothing', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      await page.addInitScript(() => {
        window.__xss = 0;
        const orig = window.alert;
        window.alert = (...a) => {
          window.__xss++;
          return orig.apply(window, a);
        };
      });
      const w = await openWidget(page, { flow: 'running-shoes' });
      await completeWithMouse(w, XSS_PATH);
      const products = await waitFrames(rec, 'received', (m) => m.type === 'products', 'products');
      assert.ok(
        products.products.some((p) => p.id === 'rs-xss'),
        `the path ${JSON.stringify(XSS_PATH)} should bring rs-xss; got ${products.products.map((p) => p.id)}`,
      );
      const card = w.locator('[data-current] .card[data-product="rs-xss"]');
      await card.waitFor();
      assert.equal(await card.locator('.ttl').textContent(), XSS_TITLE, 'the title is literal text');
      assert.equal(await card.locator('.ttl').evaluate((e) => e.children.length), 0, 'no element inside the title');
      assert.deepEqual(await injectedImages(page), []);
      assert.equal(await page.evaluate(() => window.__xss), 0, 'alert never called');
      assert.deepEqual(rec.dialogs, [], 'no dialog fired');
      await card.scrollIntoViewIfNeeded();
      await shot(page, 'xss-literal');
    } finally {
      await context.close();
    }
  });

  test('hostile server strings: only http(s) and same-origin links and images, text stays text', async () => {
    // A stand-in socket inside the page plays a hostile server; the widget itself is the real one.
    const { page, rec, context } = await newPage(browser);
    try {
      await stubServer(page, {
        type: 'products', result: 'picks', title: '<b>bold?</b>', intro: '<script>alert(1)</script>',
        relaxed: [{ question: 'colour', label: '<i>Colour</i>', reason: '<u>none</u>' }],
        products: [
          { id: 'p1', title: 'js link', brand: 'X', price: 10, currency: 'USD', rating: 4,
            image: 'javascript:alert(1)', link: 'javascript:alert(2)', explanation: { line: '<img src=x onerror=alert(3)>' } },
          { id: 'p2', title: 'data image', brand: 'X', price: 10, currency: 'USD', rating: 4,
            image: 'data:image/svg+xml,<svg onload=alert(4)>', link: '//evil.example/p', explanation: { line: 'ok' } },
          { id: 'p3', title: 'vbscript', brand: 'X', price: 10, currency: 'USD', rating: 4,
            image: ' /\\evil.example/i.png', link: 'vbscript:msgbox(1)', explanation: { line: 'ok' } },
          { id: 'p4', title: 'good', brand: 'X', price: 10, currency: 'USD', rating: 4,
            image: '/catalog/images/none.svg', link: '/p/p4', explanation: { line: 'ok' } },
          { id: 'p5', title: 'good abs', brand: 'X', price: 10, currency: 'USD', rating: 4,
            image: 'https://img.example/x.png', link: 'https://shop.example/p5', explanation: { line: 'ok' } },
        ],
        can_back: false,
      });
      // the safe pictures load (one that cannot load gives up its place, and this test reads the places)
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>';
      for (const url of ['https://img.example/**', `${BASE}/catalog/images/none.svg`])
        await context.route(url, (r) => r.fulfill({ contentType: 'image/svg+xml', body: svg }));
      const w = await openWidget(page, { flow: 'running-shoes' });
      await w.locator('[data-current] .card').nth(4).waitFor();
      const hrefs = await w.locator('.card a.view').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.deepEqual(hrefs, [`${BASE}/p/p4`, 'https://shop.example/p5'], 'only safe links are rendered');
      const srcs = await w.locator('.card img').evaluateAll((is) => is.map((i) => i.getAttribute('src')));
      assert.deepEqual(srcs, [`${BASE}/catalog/images/none.svg`, 'https://img.example/x.png']);
      assert.equal(await w.locator('h2').textContent(), '<em>T</em>');
      assert.equal(await w.locator('.res h3').textContent(), '<b>bold?</b>');
      assert.equal(await w.locator('.msg.bot').first().textContent(), '<img src=x onerror=alert(5)>');
      assert.match(await w.locator('.relaxed').textContent(), /<i>Colour<\/i>/);
      assert.deepEqual(await injectedImages(page), []);
      assert.deepEqual(rec.dialogs, []);
    } finally {
      await context.close();
    }
  });

  test('email capture asks for explicit consent before sending it', async () => {
    const { page, context } = await newPage(browser);
    try {
      await stubServer(page, {
        type: 'products', result: 'picks', title: 'Picks', intro: null, relaxed: [], can_back: true,
        email_capture: true,
        products: [{ id: 'p1', title: 'Shoe', brand: 'B', price: 99, currency: 'USD', rating: 4.5,
          image: null, link: '/p/p1', explanation: { matched: ['Road'], missed: [], line: 'Matches: Road' } }],
      });
      const w = await openWidget(page, { flow: 'running-shoes' });
      const form = w.locator('form.email');
      await form.waitFor();
      const box = form.locator('input[type=checkbox]');
      assert.equal(await box.isChecked(), false, 'consent is not pre-ticked');
      assert.match(await form.locator('.ck label').textContent(), /agree.*email/i, 'the consent text is explicit');
      await form.locator('input[type=email]').fill('aiko@example.com');
      await form.locator('button[type=submit]').click();
      await form.locator('.bad', { hasText: /tick the box/ }).waitFor();
      assert.deepEqual(await page.evaluate(() => window.__sent.filter((m) => m.type === 'consent')), []);
      await box.check();
      await form.locator('button[type=submit]').click();
      await page.waitForFunction(() => window.__sent.some((m) => m.type === 'consent'));
      const sent = await page.evaluate(() => window.__sent.find((m) => m.type === 'consent'));
      assert.deepEqual(sent, { type: 'consent', email: 'aiko@example.com', consent: true });
      await w.locator('.msg.bot', { hasText: 'Thanks!' }).waitFor();
      await shot(page, 'email-consent');
    } finally {
      await context.close();
    }
  });

  test('the widget source never uses HTML sinks', async () => {
    const res = await fetch(`${BASE}/widget.js`);
    assert.equal(res.status, 200);
    const src = await res.text();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function'])
      assert.ok(!src.includes(sink), `widget.js must not use ${sink}`);
    assert.ok(Buffer.byteLength(src) > 1000);
  });

  test('the demo shop, a product page and the admin pages work under their strict policy with nothing blocked', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      // Every report of a blocked script, style, image or socket, from the first byte of each page.
      await page.addInitScript(() => {
        window.__blocked = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.__blocked.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      await page.goto(demoUrl({ open: 'true', inline: 'backpacks' }));
      const policy = (await page.context().request.get(`${BASE}/`)).headers()['content-security-policy'];
      assert.match(policy, /script-src 'self'/);
      assert.match(policy, /frame-ancestors 'none'/);
      const w = widget(page);
      await completeWithMouse(w, { terrain: 'road' });
      await page.locator('#inline-finder [data-current]:not([data-pending])').waitFor();
      await waitFrames(rec, 'received', (m) => m.type === 'products', 'products over the socket');
      // The policy is in force: a script put into the page by hand is blocked and runs nothing.
      const ran = await page.evaluate(() => {
        window.__ran = false;
        const s = document.createElement('script');
        s.textContent = 'window.__ran = true';
        document.body.append(s);
        return new Promise((r) => setTimeout(() => r(window.__ran), 50));
      });
      assert.equal(ran, false, 'an inline script does not run');
      const blocked = await page.evaluate(() => window.__blocked);
      assert.deepEqual(blocked.filter((b) => !/^script-src(-elem)? inline$/.test(b)), [], 'only the planted script is blocked');
      assert.equal(blocked.length, 1, `the planted script is reported: ${blocked}`);
      await shot(page, 'demo-under-csp');

      for (const path of ['/p/rs-001', '/admin/finders', '/admin/finders/running-shoes']) {
        const response = await page.goto(`${BASE}${path}`);
        assert.equal(response.status(), 200, path);
        assert.deepEqual(await page.evaluate(() => window.__blocked), [], `${path}: nothing blocked`);
        const styled = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
        assert.match(styled, /system-ui|sans-serif/, `${path}: its stylesheet applies`);
      }
      const picture = page.locator('figure img');
      await picture.waitFor();
      assert.ok(await picture.evaluate((i) => i.complete && i.naturalWidth > 0), 'the finder picture (a data: image) shows');
      assert.deepEqual(rec.errors, []);
    } finally {
      await context.close();
    }
  });

  test('the demo page loads the widget without console errors', async () => {
    const { page, rec, context } = await newPage(browser);
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    try {
      await page.goto(demoUrl({}));
      await widget(page).locator('button.launch').waitFor();
      assert.deepEqual(rec.errors, []);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });
});
