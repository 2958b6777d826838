// Japanese: the knives finder (locale ja only) and the running-shoes finder in Japanese.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PHONE, assertCards, completeWithMouse, current, launch, newPage, openWidget, shot, waitFrames } from './lib.mjs';

const JA = /[\u3040-\u30ff\u3400-\u9fff]/; // kana or kanji

describe('Japanese', () => {
  let browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('the knives finder speaks Japanese and shows yen prices', async () => {
    const { page, rec, context } = await newPage(browser, { locale: 'ja-JP' });
    try {
      const w = await openWidget(page, { flow: 'knives', locale: 'ja' });
      const start = await waitFrames(rec, 'sent', (m) => m.type === 'start', 'start');
      assert.equal(start.flow, 'knives');
      assert.equal(start.locale, 'ja');
      const s = await waitFrames(rec, 'received', (m) => m.type === 'session', 'session');
      assert.equal(s.locale, 'ja');
      const c = await current(w);
      assert.match(await c.el.locator('.q').textContent(), JA, 'the question is in Japanese');
      assert.match(await w.locator('h2').textContent(), JA, 'the title is in Japanese');
      // the widget's own strings are Japanese too
      assert.equal(await w.locator('form.comp input').getAttribute('placeholder'), '回答を入力…');
      await w.locator('.prog', { hasText: /ステップ 1 \/ \d+/ }).waitFor();
      await shot(page, 'knives-question');
      await completeWithMouse(w);
      const { price, why } = await assertCards(w, { price: /^[¥￥][\d,]+$/ });
      assert.doesNotMatch(price, /\./, 'yen has no decimals');
      assert.match(why, JA, 'the explanation is in Japanese');
      await w.locator('[data-current] a.view', { hasText: '商品を見る' }).first().waitFor();
      await shot(page, 'knives-products');
    } finally {
      await context.close();
    }
  });

  test('the knives finder on a phone', async () => {
    const { page, context } = await newPage(browser, { viewport: PHONE, locale: 'ja-JP' });
    try {
      const w = await openWidget(page, { flow: 'knives', locale: 'ja' });
      await completeWithMouse(w);
      await assertCards(w, { price: /^[¥￥][\d,]+$/ });
      await shot(page, 'knives-phone');
    } finally {
      await context.close();
    }
  });

  test('running-shoes in Japanese (data-locale=ja)', async () => {
    const { page, rec, context } = await newPage(browser);
    try {
      const w = await openWidget(page, { flow: 'running-shoes', locale: 'ja' });
      const s = await waitFrames(rec, 'received', (m) => m.type === 'session', 'session');
      assert.equal(s.locale, 'ja');
      const c = await current(w);
      assert.match(await c.el.locator('.q').textContent(), JA);
      assert.match(await c.el.locator('.chip').first().textContent(), JA, 'option labels in Japanese');
      await completeWithMouse(w);
      await assertCards(w, { price: /\$\d/ });
      await shot(page, 'running-shoes-ja');
    } finally {
      await context.close();
    }
  });
});
