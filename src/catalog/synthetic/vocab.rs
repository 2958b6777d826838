//! The synthetic catalog's vocabulary: the categories' recipes (share, currency, price spread, nouns, tags),
//! colours, sizes, brand syllables and Japanese brands.

/// One category's recipe.
pub(super) struct Kind {
    pub(super) name: &'static str,
    /// Relative share of the catalog.
    pub(super) share: f64,
    pub(super) currency: &'static str,
    /// Median price and the spread (sigma of the log) of its log-normal distribution.
    pub(super) median_price: f64,
    pub(super) sigma: f64,
    pub(super) japanese: bool,
    pub(super) nouns: &'static [&'static str],
    pub(super) tags: &'static [&'static str],
}

pub(super) const KINDS: &[Kind] = &[
    Kind {
        name: "running-shoes",
        share: 0.22,
        currency: "USD",
        median_price: 120.0,
        sigma: 0.35,
        japanese: false,
        nouns: &["Runner", "Glide", "Trail", "Racer", "Flyer", "Ridge"],
        tags: &[
            "waterproof",
            "grippy",
            "lightweight",
            "stability",
            "carbon-plate",
            "wide-fit",
            "vegan",
            "reflective",
        ],
    },
    Kind {
        name: "backpacks",
        share: 0.18,
        currency: "USD",
        median_price: 80.0,
        sigma: 0.45,
        japanese: false,
        nouns: &["Pack", "Daypack", "Rucksack", "Commuter", "Voyager"],
        tags: &[
            "laptop",
            "waterproof",
            "lightweight",
            "organiser",
            "recycled",
            "reflective",
        ],
    },
    Kind {
        name: "t-shirts",
        share: 0.25,
        currency: "USD",
        median_price: 25.0,
        sigma: 0.4,
        japanese: false,
        nouns: &["Tee", "Crew", "Henley", "Pocket Tee", "Raglan"],
        tags: &[
            "organic",
            "recycled",
            "slim-fit",
            "oversized",
            "quick-dry",
            "gift",
        ],
    },
    Kind {
        name: "headphones",
        share: 0.12,
        currency: "USD",
        median_price: 150.0,
        sigma: 0.7,
        japanese: false,
        nouns: &["Buds", "Studio", "Wave", "Pulse", "Aria"],
        tags: &[
            "wireless",
            "noise-cancelling",
            "sport",
            "studio",
            "foldable",
        ],
    },
    Kind {
        name: "kitchen-knives",
        share: 0.15,
        currency: "JPY",
        median_price: 12_000.0,
        sigma: 0.6,
        japanese: true,
        nouns: &[
            "三徳包丁",
            "牛刀",
            "ペティナイフ",
            "菜切包丁",
            "出刃包丁",
            "柳刃包丁",
        ],
        tags: &[
            "ステンレス",
            "鋼",
            "ダマスカス",
            "食洗機対応",
            "初心者向け",
            "プロ仕様",
            "gift",
            "ギフト",
        ],
    },
    Kind {
        name: "tea",
        share: 0.08,
        currency: "JPY",
        median_price: 1_800.0,
        sigma: 0.5,
        japanese: true,
        nouns: &["煎茶", "玉露", "抹茶", "ほうじ茶", "玄米茶"],
        tags: &["有機", "宇治", "静岡", "ギフト", "ティーバッグ"],
    },
];

pub(super) const COLOURS: &[&str] = &[
    "black", "white", "blue", "grey", "red", "green", "navy", "beige", "pink", "yellow",
];
pub(super) const SHOE_SIZES: &[&str] = &["6", "7", "8", "9", "10", "11", "12", "13"];
pub(super) const SHIRT_SIZES: &[&str] = &["XS", "S", "M", "L", "XL", "XXL"];
pub(super) const SYLLABLES: &[&str] = &[
    "ka", "ro", "vel", "nor", "ta", "mi", "zen", "lux", "sol", "ar", "qui", "do",
];
pub(super) const JAPANESE_BRANDS: &[&str] = &[
    "関匠",
    "堺一文字",
    "藤次郎",
    "貝印",
    "正本",
    "有次",
    "宇治園",
    "丸久",
    "伊藤園",
    "一保堂",
    "福寿園",
    "山本山",
];
