//! Feeding the aggregates: a conversation's turn, the picks shown, and a shop's event, each added to the hourly
//! and daily buckets of its finder version (no IO, no personal data kept).

use super::*;

/// The scale of range question `question` in `flow`, if it is one.
fn scale<'a>(
    flow: Option<&'a crate::flow::Flow>,
    question: &str,
) -> Option<&'a crate::flow::Range> {
    flow?.question(question)?.range.as_ref()
}

impl Insights {
    /// The bucket of `grain` holding `at` (seconds) for a finder version, marked changed. Looked up with a key
    /// kept for the purpose, so a turn allocates no key unless its bucket is new.
    fn bucket(&mut self, finder: &str, version: &str, grain: Grain, at: u64) -> &mut Bucket {
        let start = grain.start(at);
        if grain == Grain::Day {
            self.sums.changed(finder, version, start);
        }
        let key = &mut self.scratch;
        key.finder.clear();
        key.finder.push_str(finder);
        key.version.clear();
        key.version.push_str(version);
        key.grain = grain;
        key.start = start;
        if !self.changed.contains(&self.scratch) {
            self.changed.insert(self.scratch.clone());
        }
        if !self.buckets.contains_key(&self.scratch) {
            self.buckets.insert(self.scratch.clone(), Bucket::default());
        }
        self.buckets
            .get_mut(&self.scratch)
            .expect("the bucket was just made")
    }

    /// Applies `change` to the hourly and the daily bucket of `at`.
    fn add(&mut self, finder: &str, version: &str, at: u64, change: impl Fn(&mut Bucket)) {
        for grain in [Grain::Hour, Grain::Day] {
            change(self.bucket(finder, version, grain, at));
        }
    }

    /// Takes in one engine step.
    pub fn turn(&mut self, turn: &Turn) {
        let at = turn.at_ms / 1000;
        let (finder, version) = (turn.finder, turn.version);
        let mut conv = self.live.take(turn.session).unwrap_or_default();
        for event in turn.events {
            match event {
                Event::Started => {
                    conv = Conversation::new();
                    self.add(finder, version, at, |b| b.starts += 1);
                }
                Event::Restarted => self.add(finder, version, at, |b| b.restarts += 1),
                Event::Answered { question } => {
                    let answer = turn
                        .answers
                        .iter()
                        .rev()
                        .find(|a| &a.question == question)
                        .map(|a| answer_key(&a.answer, scale(turn.flow, question)));
                    let first = conv.moved_on(question);
                    let took = conv
                        .asked_since(question)
                        .map(|since| turn.at_ms.saturating_sub(since));
                    self.add(finder, version, at, |b| {
                        let q = b.question(question);
                        q.answered += u64::from(first);
                        if let Some(ms) = took {
                            q.time.add(ms);
                        }
                        if let Some(answer) = &answer {
                            capped(&mut q.answers, answer, MAX_ANSWERS).given += 1;
                        }
                    });
                }
                Event::Skipped { question } => {
                    let first = conv.moved_on(question);
                    self.add(finder, version, at, |b| {
                        let q = b.question(question);
                        q.answered += u64::from(first);
                        q.skipped += 1;
                    });
                }
                Event::NotUnderstood { question } => {
                    let text = turn.typed.and_then(keepable_text);
                    self.add(finder, version, at, |b| {
                        let q = b.question(question);
                        q.not_understood += 1;
                        if let Some(text) = &text {
                            *capped(&mut q.texts, text, MAX_TEXTS) += 1;
                        }
                    });
                }
                Event::WentBack { question } => {
                    self.add(finder, version, at, |b| b.question(question).went_back += 1);
                }
                Event::Finished { .. } => {
                    if conv.complete() {
                        self.add(finder, version, at, |b| b.completed += 1);
                    }
                }
                Event::Viewed { .. } | Event::Clicked { .. } | Event::Consent { .. } => {}
            }
        }
        match turn.asking {
            Some(question) => {
                if conv.ask(question, turn.at_ms) {
                    self.add(finder, version, at, |b| b.question(question).reached += 1);
                }
            }
            None => conv.asking = None,
        }
        self.live.put(turn.session, conv, at, MAX_LIVE, 2 * HOUR);
    }

    /// Takes in a result shown.
    pub fn shown(&mut self, shown: &Shown) {
        let at = shown.at_ms / 1000;
        let zero = shown.products.is_empty();
        let relaxed = !shown.relaxed.is_empty();
        let given: Vec<(&str, String)> = shown
            .answers
            .iter()
            .filter(|a| a.answer != Answer::Skipped)
            .map(|a| {
                let scale = scale(shown.flow, &a.question);
                (a.question.as_str(), answer_key(&a.answer, scale))
            })
            .collect();
        let pairs: Vec<String> = given.iter().map(|(q, a)| format!("{q}={a}")).collect();
        let path = pairs.join(" › ");
        self.add(shown.finder, shown.version, at, |b| {
            b.shown += 1;
            b.zero += u64::from(zero);
            b.relaxed += u64::from(relaxed);
            capped(&mut b.paths, &path, MAX_PATHS).add(zero, relaxed);
            for (question, answer) in &given {
                capped(&mut b.question(question).answers, answer, MAX_ANSWERS)
                    .outcomes
                    .add(zero, relaxed);
            }
            for product in shown.products {
                capped(&mut b.products, product, MAX_PRODUCTS).shown += 1;
                for pair in &pairs {
                    b.pair(pair, product);
                }
            }
        });
        let attribution = Attribution {
            finder: shown.finder.to_string(),
            version: shown.version.to_string(),
            products: shown.products.to_vec(),
            at,
            clicked: false,
            carted: false,
            purchased: false,
        };
        self.picks
            .put(shown.owner, attribution, at, MAX_LIVE, ATTRIBUTION_SECS);
    }

    /// Remembers picks shown before a restart (from the store), so later shop events are still credited.
    pub fn remember_picks(
        &mut self,
        owner: &str,
        finder: &str,
        version: &str,
        products: &[String],
        at: u64,
    ) {
        let attribution = Attribution {
            finder: finder.to_string(),
            version: version.to_string(),
            products: products.to_vec(),
            at,
            clicked: false,
            carted: false,
            purchased: false,
        };
        self.picks
            .put(owner, attribution, at, MAX_LIVE, ATTRIBUTION_SECS);
    }

    /// Takes in a stored shop event: a click, cart add or purchase of one of the shopper's latest picks counts
    /// for the finder version that showed it.
    pub fn shop(&mut self, event: &ShopEvent) {
        if !matches!(
            event.kind,
            ShopKind::Clicked | ShopKind::AddedToCart | ShopKind::Purchased
        ) {
            return;
        }
        let Some(mut picked) = self.picks.take(&event.visitor) else {
            return;
        };
        let fresh = event.at >= picked.at && event.at - picked.at <= ATTRIBUTION_SECS;
        let units: Vec<(String, u64)> = match &event.order {
            Some(order) => order
                .lines
                .iter()
                .filter(|l| picked.products.contains(&l.product))
                .map(|l| (l.product.clone(), u64::from(l.quantity)))
                .collect(),
            None => event
                .product
                .iter()
                .filter(|p| picked.products.contains(p))
                .map(|p| (p.clone(), 1))
                .collect(),
        };
        if fresh && !units.is_empty() {
            let first = match event.kind {
                ShopKind::Clicked => !std::mem::replace(&mut picked.clicked, true),
                ShopKind::AddedToCart => !std::mem::replace(&mut picked.carted, true),
                _ => !std::mem::replace(&mut picked.purchased, true),
            };
            let kind = event.kind;
            let (finder, version) = (picked.finder.clone(), picked.version.clone());
            self.add(&finder, &version, event.at, |b| {
                for (product, n) in &units {
                    let stats = capped(&mut b.products, product, MAX_PRODUCTS);
                    match kind {
                        ShopKind::Clicked => stats.clicked += n,
                        ShopKind::AddedToCart => stats.carted += n,
                        _ => stats.purchased += n,
                    }
                }
                let n: u64 = units.iter().map(|(_, n)| n).sum();
                match kind {
                    ShopKind::Clicked => {
                        b.clicks += n;
                        b.sessions_clicked += u64::from(first);
                    }
                    ShopKind::AddedToCart => {
                        b.carts += n;
                        b.sessions_carted += u64::from(first);
                    }
                    _ => {
                        b.purchases += n;
                        b.sessions_purchased += u64::from(first);
                    }
                }
            });
        }
        let at = picked.at;
        self.picks
            .put(&event.visitor, picked, at, MAX_LIVE, ATTRIBUTION_SECS);
    }
}
