//! Feed import: every format from a fixture written from its public spec, messy rows included, asserting the exact
//! products, their typed attributes, and the exact lines and reasons of the rows skipped.

use serde_json::json;
use shopkeep::catalog::feed::{self, Format, ImportReport};
use shopkeep::catalog::{Catalog, Constraint, MatchRequest, Op, Product, Scalar, Want};

use crate::support::repo;

fn import(name: &str) -> (Vec<Product>, ImportReport) {
    let path = repo("tests/fixtures/feeds").join(name);
    let mut products = Vec::new();
    let mut reports = feed::read_all(&[path], &mut |p| products.push(p)).expect("feed reads");
    let report = reports.pop().expect("one report");
    assert_eq!(report.imported, products.len());
    (products, report)
}

fn product(value: serde_json::Value) -> Product {
    serde_json::from_value(value).expect("a product literal")
}

fn skipped(report: &ImportReport) -> Vec<(usize, &str)> {
    report
        .skipped
        .iter()
        .map(|row| (row.line, row.reason.as_str()))
        .collect()
}

#[test]
fn generic_csv_maps_known_columns_and_types_the_rest() {
    let (products, report) = import("generic.csv");
    assert_eq!(report.format, Some(Format::Csv));
    assert_eq!(
        products,
        [
            product(json!({"id": "csv-1", "title": "Trail Runner 2",
                "description": "A grippy shoe, light and \"fast\"", "brand": "Northpeak",
                "category": "running-shoes", "price": 129.0, "currency": "USD", "rating": 4.5, "stock": 12,
                "image": "https://shop.example/i/1.png", "link": "https://shop.example/p/1",
                "tags": ["waterproof", "grippy"],
                "attributes": {"weight_g": 280, "waterproof": true, "colour": "blue", "season_code": "007"}})),
            product(
                json!({"id": "csv-2", "title": "Road Flyer", "description": "Soft mesh, breathable",
                "brand": "Northpeak", "category": "running-shoes", "price": 1299.0, "currency": "JPY",
                "rating": 4.0, "stock": 5, "image": "/catalog/images/x.svg", "link": null,
                "tags": ["road", "daily"], "attributes": {"weight_g": 250, "waterproof": false}})
            ),
            product(
                json!({"id": "csv-5", "title": "関匠 三徳包丁 165mm", "description": "ダマスカス鋼の三徳",
                "brand": "関匠", "category": "kitchen-knives", "price": 12800.0, "currency": "JPY",
                "rating": 4.8, "stock": 0, "tags": ["ギフト", "ステンレス"], "attributes": {"weight_g": 165}})
            ),
            product(
                json!({"id": "csv-9", "title": "Ｆｕｌｌ Ｗｉｄｔｈ", "price": 12.5, "currency": "USD"})
            ),
        ]
    );
    assert_eq!(
        skipped(&report),
        [
            (5, "the product has no id"),
            (
                6,
                "product `csv-4`: price `ten dollars` is not a number; write it as `12.99 USD`"
            ),
            (8, "product id `csv-1` appears twice; ids must be unique"),
            (
                9,
                "the row has 17 cells but the header names 16 columns; quote cells that hold the separator"
            ),
            (10, "product `csv-8` has rating 9; ratings run from 0 to 5"),
        ]
    );
}

#[test]
fn google_tsv_follows_the_merchant_center_spec() {
    let (products, report) = import("google.tsv");
    assert_eq!(report.format, Some(Format::GoogleTsv));
    assert_eq!(
        products,
        [
            product(
                json!({"id": "g-1", "title": "Merino Crew Sweater", "description": "Soft merino & wool",
                "brand": "Woolly", "category": "Sweaters", "price": 45.0, "currency": "USD", "stock": 1,
                "image": "https://shop.example/i/g-1.jpg", "link": "https://shop.example/p/g-1",
                "attributes": {"regular_price": 59, "on_sale": true, "availability": "in_stock",
                    "product_type": ["Apparel", "Tops", "Sweaters"], "google_product_category": "212",
                    "color": ["red", "blue"], "size": "M", "gender": "female", "age_group": "adult",
                    "material": "merino", "custom_label_0": "summer-sale", "item_group_id": "grp-1",
                    "gtin": "00012345678905", "shipping_weight": "0.4 kg"}})
            ),
            product(
                json!({"id": "g-2", "title": "防水 トレイルシューズ", "description": "岩場でも滑りにくい",
                "brand": "山歩", "category": "Trail", "price": 12800.0, "currency": "JPY", "stock": 0,
                "image": "https://shop.example/i/g-2.jpg", "link": null,
                "attributes": {"availability": "out_of_stock", "product_type": ["Shoes", "Trail"],
                    "color": "black", "size": "27.5", "gender": "unisex", "age_group": "adult"}})
            ),
            product(
                json!({"id": "g-6", "title": "Preorder Lamp", "description": "Warm light, glass shade",
                "brand": "Lumen", "category": "Lighting", "price": 12.99, "currency": "USD", "stock": 0,
                "link": "https://shop.example/p/g-6",
                "attributes": {"availability": "preorder", "google_product_category": "Home & Garden > Lighting"}})
            ),
        ]
    );
    assert_eq!(
        skipped(&report),
        [
            (4, "the product has no id"),
            (
                5,
                "product `g-4`: price `about ten` is not a number; write it as `12.99 USD`"
            ),
            (
                6,
                "availability `maybe` is not one of in_stock, out_of_stock, preorder, backorder"
            ),
        ]
    );
}

#[test]
fn google_xml_reads_the_g_namespace_and_skips_groups() {
    let (products, report) = import("google.xml");
    assert_eq!(report.format, Some(Format::GoogleXml));
    assert_eq!(
        products,
        [
            product(json!({"id": "x-1", "title": "関匠 ダマスカス 牛刀 210mm",
                "description": "Hand-forged gyuto, 67 layers.", "brand": "関匠", "category": "Gyuto",
                "price": 24800.0, "currency": "JPY", "stock": 1,
                "image": "https://knives.example/i/x-1.jpg", "link": "https://knives.example/p/x-1",
                "attributes": {"additional_image_link": ["https://knives.example/i/x-1b.jpg",
                    "https://knives.example/i/x-1c.jpg"], "availability": "in_stock",
                    "product_type": ["Kitchen", "Knives", "Gyuto"], "material": "damascus",
                    "custom_label_1": "gift", "blade_mm": 210}})),
            product(
                json!({"id": "x-3", "title": "Petty & Sheath Ｓｅｔ", "category": "Knives",
                "price": 8800.0, "currency": "JPY", "stock": 0, "image": null,
                "attributes": {"regular_price": 9800, "on_sale": true, "availability": "backorder",
                    "google_product_category": "Home & Garden > Kitchen > Knives", "color": "silver"}})
            ),
        ]
    );
    assert_eq!(
        skipped(&report),
        [
            (28, "product `x-2` has no price"),
            (43, "the product has no id"),
        ]
    );
}

#[test]
fn shopify_variants_become_one_product_per_handle() {
    let (products, report) = import("shopify.csv");
    assert_eq!(report.format, Some(Format::Shopify));
    assert_eq!(
        products,
        [
            product(json!({"id": "trail-jacket", "title": "Trail Jacket",
                "description": "Light, waterproof shell.", "brand": "Northpeak", "category": "Jackets",
                "price": 120.0, "currency": "USD", "stock": 5,
                "image": "https://cdn.example/trail-jacket-2.jpg", "tags": ["waterproof", "hiking"],
                "attributes": {"size": ["S", "M", "L"], "color": ["Blue", "Red"],
                    "sku": ["TJ-S-BL", "TJ-M-BL", "TJ-L-RD"], "price_max": 135, "compare_at_price": 150,
                    "product_category": ["Apparel & Accessories", "Clothing", "Outerwear"],
                    "gift_card": false, "seo_title": "Trail Jacket | Northpeak"}})),
            product(
                json!({"id": "tenugui-fuji", "title": "手ぬぐい 富士山", "description": "綿100%、注染",
                "brand": "染工房", "category": "Towels", "price": 12.0, "currency": "USD", "stock": 1,
                "image": "https://cdn.example/tenugui.jpg", "tags": ["ギフト"]})
            ),
        ]
    );
    assert_eq!(
        skipped(&report),
        [
            (
                8,
                "product `draft-hat` has status `draft`; only active products are imported"
            ),
            (
                9,
                "product `bad-price-socks`: line 10: price `nine` is not a number; write it as `12.99 USD`"
            ),
            (11, "the row has no Handle"),
            (
                12,
                "product `hidden-mug` is not published; only published products are imported"
            ),
        ]
    );
}

#[test]
fn a_converted_dummyjson_export_keeps_its_extra_columns() {
    let (products, report) = import("dummyjson.csv");
    assert!(report.skipped.is_empty(), "{report}");
    let ids: Vec<&str> = products.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    assert_eq!(
        products[1],
        product(
            json!({"id": "2", "title": "Oak Side Table", "description": "Solid oak with a walnut finish.",
            "brand": "Timberly", "category": "furniture", "price": 249.99, "rating": 4.77, "stock": 0,
            "image": "https://cdn.example/products/2/thumbnail.webp", "tags": ["furniture", "tables"],
            "attributes": {"discount_percentage": 3.12, "sku": "FUR-TIM-OAK-002", "weight": 12,
                "warranty_information": "2 year warranty", "shipping_information": "Ships overnight",
                "availability_status": "Out of Stock", "return_policy": "30 days return policy",
                "minimum_order_quantity": 1}})
        )
    );
    assert_eq!(products[2].brand, "");
}

#[test]
fn a_catalog_folder_indexes_every_format_and_filters_on_their_attributes() {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "generic.csv",
        "google.tsv",
        "google.xml",
        "shopify.csv",
        "dummyjson.csv",
    ] {
        std::fs::copy(
            repo("tests/fixtures/feeds").join(name),
            dir.path().join(name),
        )
        .expect("copy fixture");
    }
    std::fs::write(dir.path().join("notes.md"), "not a feed").expect("write notes");
    let (catalog, reports) = Catalog::from_dir(dir.path()).expect("catalog builds");
    let imported: Vec<(String, usize)> = reports
        .iter()
        .map(|r| {
            let name = r.file.file_name().expect("file name").to_string_lossy();
            (name.into_owned(), r.imported)
        })
        .collect();
    assert_eq!(
        imported,
        [
            ("dummyjson.csv".to_string(), 3),
            ("generic.csv".to_string(), 4),
            ("google.tsv".to_string(), 3),
            ("google.xml".to_string(), 2),
            ("shopify.csv".to_string(), 2),
        ]
    );
    assert_eq!(catalog.len(), 14);
    // A Shopify option value and a Google multi-colour both filter like any keyword facet.
    let wants = |field: &str, value: &str| Want {
        question: field.into(),
        label: value.into(),
        any_of: vec![vec![Constraint::new(
            field,
            Op::Eq(Scalar::Text(value.into())),
        )]],
        boosts: vec![],
    };
    let request = MatchRequest {
        scope: vec![],
        wants: vec![wants("color", "red")],
        text: None,
        count: 2,
        in_stock_only: false,
        diversity: None,
        min: 1,
        relax_order: vec![],
    };
    let outcome = catalog.find(&request).expect("find");
    let mut ids: Vec<&str> = outcome.hits.iter().map(|h| h.product.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["g-1", "trail-jacket"]);
    assert!(outcome.relaxed.is_empty());
}

#[test]
fn the_index_command_reports_bad_rows_and_writes_an_index() {
    let shopkeep = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_shopkeep"))
            .args(args)
            .output()
            .expect("shopkeep runs")
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = dir.path().join("catalog");
    std::fs::create_dir(&catalog).expect("catalog dir");
    let generated = shopkeep(&["gen-catalog", "--products", "50", "--seed", "3"]);
    assert!(generated.status.success());
    std::fs::write(catalog.join("synthetic.jsonl"), &generated.stdout).expect("write catalog");
    std::fs::copy(
        repo("tests/fixtures/feeds/shopify.csv"),
        catalog.join("shopify.csv"),
    )
    .expect("copy fixture");
    let out = dir.path().join("index");
    let (catalog, out) = (catalog.display().to_string(), out.display().to_string());

    let built = shopkeep(&["index", &catalog, "--out", &out]);
    let stdout = String::from_utf8_lossy(&built.stdout);
    assert!(built.status.success(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..6],
        [
            format!("{catalog}/shopify.csv (Shopify CSV): 2 products imported, 4 rows skipped"),
            "  line 8: product `draft-hat` has status `draft`; only active products are imported".into(),
            "  line 9: product `bad-price-socks`: line 10: price `nine` is not a number; write it as `12.99 USD`".into(),
            "  line 11: the row has no Handle".into(),
            "  line 12: product `hidden-mug` is not published; only published products are imported".into(),
            format!("{catalog}/synthetic.jsonl (JSON Lines): 50 products imported, 0 rows skipped"),
        ]
    );
    assert!(
        lines[6].starts_with("52 products indexed from 2 files in "),
        "{stdout}"
    );
    assert!(std::path::Path::new(&out).join("meta.json").is_file());

    let again = shopkeep(&["index", &catalog, "--out", &out]);
    assert!(!again.status.success());
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        format!(
            "error: index folder `{out}` is not empty; remove it or pass a new folder to --out\n"
        )
    );
    let missing = shopkeep(&["index", "/nonexistent/shop"]);
    assert!(!missing.status.success());
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "error: catalog folder `/nonexistent/shop` does not exist; pass the folder that holds your feeds\n"
    );
}

/// The 194 DummyJSON products in all four formats, with `"brand": null`, numeric ids and null or empty optional
/// fields (`tests/fixtures/feeds/dummyjson-194`): every format imports all of them, and the same products.
#[test]
fn every_format_imports_the_whole_dummyjson_catalog_with_its_nulls() {
    /// Title, brand and price in cents: what a product is, whatever its id in the format.
    type Key = (String, String, i64);
    let mut seen: Vec<(String, Vec<Key>)> = Vec::new();
    for name in [
        "dummyjson-194/products.jsonl",
        "dummyjson-194/shopify.csv",
        "dummyjson-194/google.tsv",
        "dummyjson-194/google.xml",
    ] {
        let (products, report) = import(name);
        assert!(report.skipped.is_empty(), "{name}: {report}");
        assert_eq!(products.len(), 194, "{name}");
        // DummyJSON has no brand for 92 products: an absent brand, not a rejected row.
        assert_eq!(
            products.iter().filter(|p| p.brand.is_empty()).count(),
            92,
            "{name}"
        );
        let sparse = products
            .iter()
            .find(|p| p.id.trim_start_matches("dj-") == "7")
            .expect("product 7 (null description, tags and image)");
        assert!(
            sparse.description.is_empty() && sparse.tags.is_empty() && sparse.image.is_none(),
            "{name}: {sparse:?}"
        );
        let mut keys: Vec<Key> = products
            .iter()
            .map(|p| {
                (
                    p.title.clone(),
                    p.brand.clone(),
                    (p.price * 100.0).round() as i64,
                )
            })
            .collect();
        keys.sort();
        seen.push((name.to_string(), keys));
    }
    for (name, keys) in &seen[1..] {
        assert_eq!(
            keys, &seen[0].1,
            "{name} imports the same products as JSON Lines"
        );
    }
}

#[test]
fn a_null_optional_field_is_an_absent_one_and_a_numeric_id_is_an_id() {
    let row = r#"{"id": 17, "title": "T", "price": 5, "brand": null, "description": null, "category": null,
        "currency": null, "rating": null, "stock": null, "image": null, "link": null, "tags": null,
        "attributes": {"colour": null, "size": "M"}}"#;
    let product: Product = serde_json::from_str(row).expect("a row with nulls imports");
    assert_eq!(product.id, "17");
    assert_eq!(
        (product.brand.as_str(), product.currency.as_str()),
        ("", "USD")
    );
    assert_eq!((product.rating, product.stock), (None, 1));
    assert_eq!(product.attributes.len(), 1, "a null attribute is absent");
    // Only a missing id, title or price rejects a row.
    for missing in ["id", "title", "price"] {
        let mut value: serde_json::Value = serde_json::from_str(row).expect("json");
        value.as_object_mut().expect("object").remove(missing);
        let error = serde_json::from_value::<Product>(value).expect_err(missing);
        assert!(error.to_string().contains(missing), "{error}");
    }
}
