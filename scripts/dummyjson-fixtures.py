#!/usr/bin/env python3
"""Writes the DummyJSON catalog (194 products, MIT licence, https://github.com/Ovi/DummyJSON) as the four feed
formats shopkeep imports, with the nulls and empty cells real exports have, into tests/fixtures/feeds/dummyjson-194/.

Usage: python3 scripts/dummyjson-fixtures.py PRODUCTS.json

The fixtures are committed; the tests do not run this script. Every product keeps its id (`dj-<n>` in every format
but JSON Lines, whose ids stay numbers as DummyJSON writes them), title, price, stock and brand; a product without
a brand has `"brand": null` in JSON Lines and an empty cell elsewhere. Every 7th product also has null/empty
description, tags and image, so each importer meets missing optional fields."""

import csv
import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape

OUT = Path(__file__).resolve().parent.parent / "tests/fixtures/feeds/dummyjson-194"


def sparse(n):
    return n % 7 == 0


def main(source):
    products = json.loads(Path(source).read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "products.jsonl", "w") as f:
        f.write("# DummyJSON products (MIT licence): null fields are absent fields\n")
        for p in products:
            row = {
                "id": p["id"],
                "title": p["title"],
                "description": None if sparse(p["id"]) else p["description"],
                "brand": p.get("brand"),
                "category": p["category"],
                "price": p["price"],
                "rating": p.get("rating"),
                "stock": p["stock"],
                "image": None if sparse(p["id"]) else p.get("thumbnail"),
                "tags": None if sparse(p["id"]) else p.get("tags"),
                "attributes": {"sku": p.get("sku"), "weight": p.get("weight"),
                               "warranty": None if sparse(p["id"]) else p.get("warrantyInformation")},
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(OUT / "shopify.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published", "Variant SKU",
                    "Variant Inventory Qty", "Variant Price", "Image Src", "Status"])
        for p in products:
            w.writerow([f"dj-{p['id']}", p["title"], "" if sparse(p["id"]) else f"<p>{escape(p['description'])}</p>",
                        p.get("brand") or "", p["category"], "" if sparse(p["id"]) else ", ".join(p.get("tags") or []),
                        "TRUE", p.get("sku") or "", p["stock"], f"{p['price']:.2f}",
                        "" if sparse(p["id"]) else p.get("thumbnail") or "", "active"])
    fields = ["id", "title", "description", "link", "image_link", "price", "availability", "brand", "product_type"]
    with open(OUT / "google.tsv", "w", newline="") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(fields)
        for p in products:
            w.writerow([f"dj-{p['id']}", p["title"], "" if sparse(p["id"]) else p["description"],
                        f"https://shop.example/p/dj-{p['id']}", "" if sparse(p["id"]) else p.get("thumbnail") or "",
                        f"{p['price']:.2f} USD", "in_stock" if p["stock"] > 0 else "out_of_stock",
                        p.get("brand") or "", p["category"]])
    with open(OUT / "google.xml", "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n'
                "  <channel>\n    <title>DummyJSON (MIT)</title>\n")
        for p in products:
            f.write("    <item>\n")
            f.write(f"      <g:id>dj-{p['id']}</g:id>\n      <title>{escape(p['title'])}</title>\n")
            f.write("      <description></description>\n" if sparse(p["id"])
                    else f"      <description>{escape(p['description'])}</description>\n")
            f.write(f"      <link>https://shop.example/p/dj-{p['id']}</link>\n")
            if not sparse(p["id"]) and p.get("thumbnail"):
                f.write(f"      <g:image_link>{escape(p['thumbnail'])}</g:image_link>\n")
            f.write(f"      <g:price>{p['price']:.2f} USD</g:price>\n")
            f.write(f"      <g:availability>{'in_stock' if p['stock'] > 0 else 'out_of_stock'}</g:availability>\n")
            f.write(f"      <g:brand>{escape(p.get('brand') or '')}</g:brand>\n")
            f.write(f"      <g:product_type>{escape(p['category'])}</g:product_type>\n")
            f.write("    </item>\n")
        f.write("  </channel>\n</rss>\n")
    (OUT / "README.md").write_text(
        "The 194 products of DummyJSON (https://github.com/Ovi/DummyJSON, MIT licence, © Muhammad Ovi), written as\n"
        "the four feed formats by `scripts/dummyjson-fixtures.py`, with null and empty optional fields.\n")


if __name__ == "__main__":
    main(sys.argv[1])
