// The admin page of each shipped finder: its picture (an SVG image that must really render) beside what the
// catalog check says, in headless Chromium. Screenshots go to tests/browser/output/admin-<finder>.png.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BASE, DESKTOP, T, launch, shot } from './lib.mjs';

describe('admin finder pages', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the list links every shipped finder', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const res = await page.goto(`${BASE}/admin/finders`, { timeout: T });
    assert.equal(res.status(), 200);
    const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
    for (const id of ['backpacks', 'knives', 'running-shoes']) assert.ok(links.includes(`/admin/finders/${id}`), id);
    await page.close();
  });

  for (const id of ['running-shoes', 'backpacks', 'knives']) {
    test(`${id}: the picture renders beside the check`, async () => {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const res = await page.goto(`${BASE}/admin/finders/${id}`, { timeout: T });
      assert.equal(res.status(), 200);
      const img = page.locator('figure img');
      await img.waitFor({ timeout: T });
      // A broken or blocked SVG has no natural size.
      const size = await img.evaluate(async (el) => {
        if (!el.complete) await new Promise((r) => el.addEventListener('load', r, { once: true }));
        return [el.naturalWidth, el.naturalHeight];
      });
      assert.ok(size[0] > 200 && size[1] > 200, `the SVG renders: ${size}`);
      const aside = await page.locator('aside').innerText();
      assert.match(aside, /\d+ answer paths/);
      assert.doesNotMatch(aside, /error:/, 'the shipped finders check clean');
      assert.deepEqual(errors, []);
      await shot(page, `admin-${id}`);
      await page.close();
    });
  }
});
