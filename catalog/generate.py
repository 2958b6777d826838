#!/usr/bin/env python3
"""Generate shopkeep's demo catalog: catalog/products.jsonl and catalog/images/*.svg.

Dev tool only (Python 3.11, standard library). The output is deterministic (fixed seed) and is committed; the
product reads the JSONL, never this script. Run from anywhere:

    python3 catalog/generate.py

Besides realistic random products, the generator makes sure every answer path of the demo finders in flows/ has
in-stock products: it knows the finders' hard filters (see the *_keys functions) and fills any gap with a product
made for it. Change those functions when a finder's filters change.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

SEED = 20240611
HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"
ZERO_STOCK_SHARE = 0.08

# ---------------------------------------------------------------------------------------------------------------
# Colours (hex) used by the illustrations
# ---------------------------------------------------------------------------------------------------------------

HEX = {
    "black": "#2b2d31", "charcoal": "#464b55", "grey": "#8b919b", "white": "#f5f5f2", "cream": "#eadfc8",
    "blue": "#2f6fd6", "navy": "#1f3563", "teal": "#17979a", "red": "#d63a3a", "orange": "#f07c24",
    "yellow": "#f0bf2c", "pink": "#ec6fa6", "lime": "#96c93d", "green": "#2f9e5a", "olive": "#6b7a3a",
    "purple": "#7b4fc9", "brown": "#8a5a3c", "tan": "#c49a6c", "khaki": "#b3a77c", "burgundy": "#7d2335",
    "sand": "#d9c49b", "coral": "#ef7b6b",
}


def _rgb(h: str) -> tuple[int, int, int]:
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


def mix(h: str, other: str, t: float) -> str:
    a, b = _rgb(h), _rgb(other)
    return "#%02x%02x%02x" % tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def usd(rng: random.Random, lo: float, hi: float) -> float:
    """A shop-like USD price strictly inside (lo, hi): 89.0, 84.95 or 139.99."""
    for _ in range(100):
        whole = rng.randint(int(lo) + 1, int(hi) - 1)
        style = rng.random()
        if style < 0.5:
            whole = 5 * round(whole / 5) - (1 if whole > 10 and rng.random() < 0.5 else 0)
            price = float(whole)
        elif style < 0.8:
            price = 5 * round(whole / 5) - 0.05
        else:
            price = 10 * round(whole / 10) - 0.01
        price = round(price, 2)
        if lo < price < hi:
            return price
    return float(int((lo + hi) / 2))


def yen(rng: random.Random, lo: int, hi: int) -> int:
    """A whole-yen price strictly inside (lo, hi), priced the Japanese way: 3,980 / 12,800 / 26,400."""
    for _ in range(100):
        x = rng.randint(lo + 1, hi - 1)
        if x < 10000:
            p = (x // 1000) * 1000 + rng.choice([480, 800, 980, 500, 980])
        else:
            p = (x // 1000) * 1000 + rng.choice([0, 800, 0, 400, 800])
        if lo < p < hi:
            return p
    return (lo + hi) // 2


def rating(rng: random.Random, centre: float) -> float:
    r = rng.gauss(centre, 0.38)
    if rng.random() < 0.05:
        r -= rng.uniform(0.8, 1.8)  # the odd disappointing product
    return round(min(5.0, max(1.0, r)), 1)


def stock(rng: random.Random) -> int:
    return rng.choice([rng.randint(1, 9), rng.randint(3, 25), rng.randint(10, 80)])


def bucket_of(price: float, cuts: list[float], lo: float, hi: float) -> list[int]:
    """Indexes of the closed intervals [lo,c1],[c1,c2],...,[cn,hi] that contain price."""
    edges = [lo, *cuts, hi]
    return [i for i in range(len(edges) - 1) if edges[i] <= price <= edges[i + 1]]


# ---------------------------------------------------------------------------------------------------------------
# Running shoes (USD, English)
# ---------------------------------------------------------------------------------------------------------------

RS_BUDGET = (40, 250, [80, 120, 180])
RS_FAMILIES = {  # the colour question of flows/running-shoes.yaml
    "dark": ["black", "charcoal", "grey"],
    "white": ["white", "cream"],
    "blue": ["blue", "navy", "teal"],
    "bright": ["red", "orange", "yellow", "pink", "lime", "coral"],
    "green": ["green", "olive"],
}
RS_COLOURS = [c for cs in RS_FAMILIES.values() for c in cs]
RS_BRANDS = {  # brand -> (tier, rating centre); tier shifts the price
    "Northpeak": (1.1, 4.4), "Stridewell": (1.0, 4.2), "Kestrel Athletics": (1.15, 4.5), "Fellcraft": (1.05, 4.3),
    "Tempo Lab": (1.25, 4.4), "Cloudvale": (1.1, 4.1), "Ardent": (0.8, 3.9), "Halcyon Run": (0.95, 4.2),
    "Vantor": (0.75, 3.8), "Basalt & Birch": (1.0, 4.3), "Aerofoot": (1.2, 4.5), "Lumen Sport": (0.9, 4.0),
}
RS_MODELS = {
    "road": ["Glidepath", "Citystride", "Paceline", "Meridian", "Stratus", "Harbor Run", "Comet", "Halo", "Vireo",
             "Kite", "Daybreak", "Longview", "Metronome", "Featherline", "Cadence", "Urban Flow", "Skylark"],
    "trail": ["Ridge Runner", "Scree", "Talus", "Switchback", "Cairn", "Moraine", "Timberline", "Granite Dash",
              "Bramble", "Crag Hopper", "Fell Fox", "Alpine Loop", "Rockhop", "Wildfern"],
    "track": ["Lane One", "Blitz", "Spikefire", "Volt", "Split Second", "Anchor Leg", "Starter", "Oval Pro",
              "Photon", "Backstraight"],
}
RS_SIZES = [str(s) for s in range(5, 15)]


def _rs_price(rng, terrain, carbon, tier):
    lo, hi = {"road": (55, 190), "trail": (65, 200), "track": (45, 170)}[terrain]
    base = rng.triangular(lo, hi, lo + (hi - lo) * 0.4) * tier
    if carbon:
        base = rng.uniform(170, 248)
    return usd(rng, max(41, base - 5), min(249, base + 5))


def make_shoe(rng: random.Random, force: dict | None = None) -> dict:
    f = force or {}
    brand = rng.choice(list(RS_BRANDS))
    tier, centre = RS_BRANDS[brand]
    terrain = f.get("terrain") or rng.choices(["road", "trail", "track"], [55, 33, 12])[0]
    if "waterproof" in f:
        waterproof = f["waterproof"]
    else:
        waterproof = rng.random() < {"road": 0.1, "trail": 0.38, "track": 0.0}[terrain]
    if "family" in f:
        colour = rng.choice(RS_FAMILIES[f["family"]])
    else:
        colour = rng.choices(RS_COLOURS, [9, 4, 6, 6, 2, 7, 5, 5, 6, 4, 3, 3, 2, 2, 3, 3])[0]
    if "bucket" in f:
        edges = [RS_BUDGET[0], *RS_BUDGET[2], RS_BUDGET[1]]
        price = usd(rng, edges[f["bucket"]], edges[f["bucket"] + 1])
        carbon = terrain != "trail" and price > 160 and rng.random() < 0.6
    else:
        carbon = terrain != "trail" and rng.random() < (0.12 if terrain == "road" else 0.35)
        price = _rs_price(rng, terrain, carbon, tier)
    cushioning = {"road": rng.choices(["low", "medium", "high"], [2, 5, 4])[0],
                  "trail": rng.choices(["low", "medium", "high"], [1, 5, 3])[0],
                  "track": rng.choices(["low", "medium"], [7, 2])[0]}[terrain]
    if carbon and terrain == "road":
        cushioning = rng.choice(["medium", "high"])
    weight = {"road": rng.randint(195, 310), "trail": rng.randint(250, 345), "track": rng.randint(125, 215)}[terrain]
    if carbon:
        weight -= 35
    if cushioning == "high":
        weight += 15
    if waterproof:
        weight += 30
    weight = 5 * round(weight / 5)
    drop = {"low": rng.choice([0, 4, 4, 6]), "medium": rng.choice([4, 6, 8, 8]),
            "high": rng.choice([5, 6, 8, 10, 12])}[cushioning]
    if terrain == "track":
        drop = rng.choice([0, 4, 6, 8])
    width = "wide" if rng.random() < (0.22 if terrain != "track" else 0.05) else "regular"
    stability = terrain == "road" and not carbon and rng.random() < 0.28
    vegan = rng.random() < 0.16
    tags = []
    if waterproof:
        tags.append("waterproof")
    if terrain == "trail" or rng.random() < 0.08:
        tags.append("grippy")
    if weight < 235:
        tags.append("lightweight")
    if stability:
        tags.append("stability")
    if carbon:
        tags.append("carbon-plate")
    if width == "wide":
        tags.append("wide-fit")
    if vegan:
        tags.append("vegan")
    if cushioning == "high" and rng.random() < 0.6:
        tags.append("max-cushion")
    if drop == 0:
        tags.append("zero-drop")
    if terrain == "road" and rng.random() < 0.25:
        tags.append("reflective")
    if not waterproof and rng.random() < 0.3:
        tags.append("breathable")
    if terrain == "track":
        tags.append("spikes" if rng.random() < 0.7 else "racing-flat")
    lo = rng.randint(5, 8) if width == "regular" else rng.randint(7, 9)
    sizes = [s for s in RS_SIZES if lo <= int(s) <= rng.randint(11, 14)]
    attrs = {"terrain": terrain, "colour": colour, "cushioning": cushioning, "sizes": sizes, "weight_g": weight,
             "waterproof": waterproof, "drop_mm": drop, "width": width}
    return {"brand": brand, "category": "running-shoes", "price": price, "currency": "USD",
            "rating": rating(rng, centre + (0.15 if price > 140 else 0)), "stock": stock(rng),
            "tags": tags, "attributes": attrs, "_carbon": carbon, "_stability": stability}


def shoe_text(rng: random.Random, p: dict, used: set) -> None:
    a = p["attributes"]
    terrain = a["terrain"]
    for _ in range(200):
        model = rng.choice(RS_MODELS[terrain])
        version = rng.choice(["", " 2", " 3", " 4", " 5", " 6", " 7"])
        extra = ""
        if p["_carbon"]:
            extra = rng.choice([" Elite", " Pro", " Carbon", " Race"])
        elif a["waterproof"]:
            extra = rng.choice([" WP", " Shield", " Storm", " Dry"])
        elif a["cushioning"] == "high" and rng.random() < 0.4:
            extra = rng.choice([" Max", " Plush", " Cloud"])
        elif p["_stability"] and rng.random() < 0.5:
            extra = rng.choice([" Guide", " Support", " GS"])
        title = f"{model}{version}{extra}"
        if a["width"] == "wide" and rng.random() < 0.5:
            title += " Wide"
        if title not in used:
            used.add(title)
            break
    p["title"] = title
    colour = a["colour"]
    cush = {"low": rng.choice(["firm", "low-profile", "ground-hugging"]),
            "medium": rng.choice(["balanced", "versatile", "moderately cushioned", "springy"]),
            "high": rng.choice(["plush", "max-cushioned", "high-stack", "deeply cushioned"])}[a["cushioning"]]
    if terrain == "road":
        if p["_carbon"]:
            first = rng.choice([
                f"A {cush} racer with a full-length carbon plate for race day and fast tempo sessions.",
                f"Our fastest road shoe: a carbon plate in a {cush} foam that snaps you forward at 5K-to-marathon pace.",
                f"Built to chase PBs, this {cush} carbon-plated racer pairs a rocker sole with a barely-there upper."])
        else:
            first = rng.choice([
                f"A {cush} daily trainer for easy miles, long runs and everything in between.",
                f"A {cush} road shoe that turns the morning commute run into something you look forward to.",
                f"Made for pavement, this {cush} trainer stays comfortable from the first mile to the twentieth.",
                f"A dependable {cush} everyday shoe for city loops, parkruns and recovery days.",
                f"Light on its feet and {cush}, it is at home on tempo runs and steady long ones."])
    elif terrain == "trail":
        lug = rng.choice([3.5, 4, 5, 6])
        first = rng.choice([
            f"A {cush} trail shoe with {lug} mm lugs that bite into mud, scree and wet roots.",
            f"Built for technical mountain paths, with a rock plate and a sticky {lug} mm-lug outsole.",
            f"A {cush} all-terrain runner for forest tracks, fell races and rocky singletrack.",
            f"From gravel fire roads to steep switchbacks, this {cush} shoe keeps its grip with {lug} mm lugs.",
            f"A sure-footed trail shoe with a protective toe cap and a {cush} ride for long days out."])
    else:
        first = rng.choice([
            "A sprint spike with a stiff plate for 100 m to 400 m on the track.",
            "A middle-distance spike that stays stiff on the bend and light on the straight.",
            "A low-profile track shoe for interval sessions, drills and race-day warm-ups.",
            "A featherweight racing flat for track workouts and short road races.",
            "A versatile spike for 800 m to 5,000 m with a removable pin set."])
    extras = []
    if a["waterproof"]:
        extras.append(rng.choice(["A waterproof membrane keeps your feet dry through puddles and stream crossings.",
                                  "The waterproof, breathable lining shrugs off rain, dew and slush.",
                                  "Fully waterproof, so wet-weather runs stop being a reason to stay in."]))
    if a["width"] == "wide":
        extras.append(rng.choice(["Cut on a wide last with a roomy toe box.",
                                  "Available in a true wide fit for broader feet.",
                                  "The wide fit gives toes room to splay on long runs."]))
    if "stability" in p["tags"]:
        extras.append(rng.choice(["A firmer medial post gently guides overpronating feet.",
                                  "Guide rails add stability without feeling stiff."]))
    if "vegan" in p["tags"]:
        extras.append("Made without animal-derived materials.")
    extras.append(rng.choice([
        f"It weighs {a['weight_g']} g (men's US 9) with a {a['drop_mm']} mm drop.",
        f"{a['drop_mm']} mm heel-to-toe drop, {a['weight_g']} g per shoe.",
        f"Finished in {colour} with a reflective heel tab.",
        f"The {colour} knit upper is breathable and soft around the ankle.",
        f"At {a['weight_g']} g it is {'light' if a['weight_g'] < 240 else 'sturdy'} for its class."]))
    rng.shuffle(extras)
    p["description"] = " ".join([first, *extras[:2]])


def shoe_keys(p: dict) -> set:
    """Answer paths of flows/running-shoes.yaml this product satisfies (hard filters only)."""
    a = p["attributes"]
    groups = [a["terrain"]] + (["trail-wp"] if a["terrain"] == "trail" and a["waterproof"] else [])
    fams = [f for f, cs in RS_FAMILIES.items() if a["colour"] in cs]
    buckets = bucket_of(p["price"], RS_BUDGET[2], RS_BUDGET[0], RS_BUDGET[1])
    return {(g, f, b) for g in groups for f in fams for b in buckets}


def shoe_needed() -> list:
    out = []
    for g in ["road", "trail-wp", "track"]:
        for f in RS_FAMILIES:
            for b in range(4):
                out.append((g, f, b))
    return out


def shoe_force(key) -> dict:
    g, f, b = key
    if g == "trail-wp":
        return {"terrain": "trail", "waterproof": True, "family": f, "bucket": b}
    return {"terrain": g, "family": f, "bucket": b}


# ---------------------------------------------------------------------------------------------------------------
# Backpacks (USD, English)
# ---------------------------------------------------------------------------------------------------------------

BP_CAP = (10, 70, [20, 30, 45])
BP_BRANDS = {"Packwright": (1.0, 4.3), "Trailhound": (1.1, 4.4), "Urban Mule": (0.9, 4.1), "Ferrow": (1.3, 4.5),
             "Summit Loom": (1.15, 4.4), "Harbor Canvas": (1.05, 4.2), "Alder Supply Co.": (1.2, 4.3),
             "Lumen Goods": (0.8, 3.9), "Cobalt & Pine": (1.0, 4.2), "Wayfarer Kit": (0.95, 4.0)}
BP_COLOURS = ["black", "charcoal", "grey", "navy", "olive", "tan", "khaki", "burgundy", "teal", "orange", "blue",
              "green", "red", "yellow", "sand"]
BP_CAP_RANGE = {"commute": (14, 30), "school": (16, 34), "hiking": (12, 65), "travel": (24, 55)}
BP_NAMES = {
    "commute": ["Metro", "Transit", "Daily Commuter", "Courier", "Rolltop", "Slim Brief", "Citizen", "Platform",
                "Cycle Courier", "Workday"],
    "school": ["Campus", "Scholar", "Homeroom", "Lecture", "Locker", "Study Hall", "Satchel Pack", "Quad"],
    "hiking": ["Ridgeline", "Summit", "Trailhead", "Switchback", "Basecamp", "Alpine", "Backcountry", "Daypack",
               "Fastpack", "Peak Bagger", "Tarn"],
    "travel": ["Carry-On", "Nomad", "Globetrotter", "Layover", "Voyager", "Weekender", "Passport", "Terminal",
               "Jetway"],
}
BP_MATERIALS = ["ripstop-nylon", "recycled-polyester", "waxed-canvas", "ballistic-nylon", "polyester", "tpu-coated"]


def make_pack(rng: random.Random, force: dict | None = None) -> dict:
    f = force or {}
    brand = rng.choice(list(BP_BRANDS))
    tier, centre = BP_BRANDS[brand]
    use = f.get("use") or rng.choices(["commute", "school", "hiking", "travel"], [30, 20, 32, 18])[0]
    if "bucket" in f:
        edges = [BP_CAP[0], *BP_CAP[2], BP_CAP[1]]
        cap = rng.randint(edges[f["bucket"]] + 1, edges[f["bucket"] + 1] - 1)
    else:
        lo, hi = BP_CAP_RANGE[use]
        cap = round(rng.triangular(lo, hi, lo + (hi - lo) * 0.35))
    if "laptop" in f:
        laptop = f["laptop"]
    else:
        laptop = rng.random() < {"commute": 0.85, "school": 0.8, "hiking": 0.05, "travel": 0.7}[use]
    material = rng.choice(BP_MATERIALS)
    waterproof = material == "tpu-coated" or rng.random() < {"commute": 0.3, "school": 0.1, "hiking": 0.3,
                                                                "travel": 0.2}[use]
    weight = int(cap * rng.uniform(28, 45) + (250 if laptop else 0) + (rng.randint(300, 900) if cap > 40 else 0))
    weight = 10 * round(weight / 10)
    price = usd(rng, 25 + cap * 0.8, min(349, 50 + cap * 4 * tier + (40 if waterproof else 0)))
    colour = rng.choice(BP_COLOURS)
    tags = []
    if waterproof:
        tags.append("waterproof")
    else:
        tags.append(rng.choice(["water-resistant", "water-resistant", "rain-cover"]) if rng.random() < 0.5 else "")
    if laptop:
        tags.append("laptop")
    if weight < 800:
        tags.append("lightweight")
    if use == "hiking":
        tags += rng.sample(["hip-belt", "hydration-compatible", "ventilated-back", "trekking-pole-loops",
                            "rain-cover", "bottle-pockets"], 3)
    elif use == "travel":
        tags += rng.sample(["carry-on-size", "lockable-zips", "clamshell-opening", "luggage-strap",
                            "organiser", "expandable"], 3)
    elif use == "commute":
        tags += rng.sample(["reflective", "anti-theft", "organiser", "bike-light-loop", "quick-access-pocket",
                            "bottle-pockets"], 2)
    else:
        tags += rng.sample(["organiser", "bottle-pockets", "padded-straps", "reflective", "key-clip"], 2)
    if "recycled" in material:
        tags.append("recycled")
    tags = sorted({t for t in tags if t})
    attrs = {"use": use, "capacity_l": cap, "colour": colour, "laptop_sleeve": laptop, "waterproof": waterproof,
             "weight_g": weight, "material": material}
    return {"brand": brand, "category": "backpacks", "price": price, "currency": "USD",
            "rating": rating(rng, centre), "stock": stock(rng), "tags": tags, "attributes": attrs}


def pack_text(rng: random.Random, p: dict, used: set) -> None:
    a = p["attributes"]
    for _ in range(200):
        name = rng.choice(BP_NAMES[a["use"]])
        title = f"{name} {a['capacity_l']}" + rng.choice(["", "", " Pro", " Lite", " II", " Roll", " Zip"])
        if (p["brand"], title) not in used:
            used.add((p["brand"], title))
            break
    p["title"] = title
    cap, use = a["capacity_l"], a["use"]
    mat = {"ripstop-nylon": "ripstop nylon", "recycled-polyester": "recycled polyester", "waxed-canvas": "waxed canvas",
           "ballistic-nylon": "ballistic nylon", "polyester": "polyester", "tpu-coated": "TPU-coated nylon"}[a["material"]]
    if use == "hiking":
        first = (rng.choice([
            f"A {cap} L day pack with a breathable back panel and room for layers, lunch and water.",
            f"A nimble {cap} L pack for summit days and fast hikes.",
            f"A {cap} L trail pack that carries close to the body on scrambles."]) if cap <= 35 else rng.choice([
            f"A {cap} L trekking pack with an adjustable back system for multi-day trips.",
            f"A {cap} L pack for hut-to-hut treks and weekends under canvas.",
            f"Big enough for a tent and three days of food, this {cap} L pack has a load-lifting hip belt."]))
    elif use == "commute":
        first = rng.choice([
            f"A tidy {cap} L commuter pack that goes from bike to desk without looking like hiking gear.",
            f"A {cap} L everyday pack with a clamshell main compartment and a stash pocket for your pass.",
            f"A {cap} L work bag with quick-access pockets for keys, earbuds and a coffee cup.",
            f"A slim {cap} L pack for trains, bikes and busy pavements."]) if cap <= 35 else rng.choice([
            f"A roomy {cap} L commuter for gym kit, lunch and a laptop on the same day.",
            f"A {cap} L do-it-all pack for long commutes and overnight work trips."])
    elif use == "school":
        first = rng.choice([
            f"A sturdy {cap} L school bag with separate spaces for books, tablet and lunch.",
            f"A {cap} L campus pack with padded straps for heavy textbook days.",
            f"A {cap} L student backpack with plenty of pockets for pens, chargers and a water bottle."]) \
            if cap <= 35 else rng.choice([
            f"A big {cap} L pack for students who carry sports kit as well as books.",
            f"A {cap} L pack for boarding-school weekends and field trips."])
    else:
        first = rng.choice([
            f"A {cap} L travel pack that opens like a suitcase and fits most cabin-bag limits.",
            f"A {cap} L carry-on backpack for one-bag travel.",
            f"A {cap} L travel pack with lockable zips and a stowaway harness."]) if cap <= 45 else rng.choice([
            f"A {cap} L travel pack for long trips, with a detachable daypack.",
            f"A {cap} L backpacking-style travel bag for gap years and overland trips."])
    extras = [rng.choice([
        f"Made from {mat} in {a['colour']}.",
        f"The {mat} shell in {a['colour']} wipes clean.",
        f"It weighs {a['weight_g']} g empty."])]
    if a["laptop_sleeve"]:
        extras.append(rng.choice(["A suspended sleeve holds a laptop up to 16 inches.",
                                  "The padded laptop sleeve fits a 15-inch machine.",
                                  "A separate laptop compartment opens flat for airport security."]))
    if a["waterproof"]:
        extras.append(rng.choice(["Welded seams and a roll-top keep the contents dry in a downpour.",
                                  "Fully waterproof fabric and sealed zips keep rain out."]))
    if "reflective" in p["tags"]:
        extras.append("Reflective details keep you visible after dark.")
    if "anti-theft" in p["tags"]:
        extras.append("Hidden zips sit against your back where pickpockets cannot reach.")
    rng.shuffle(extras)
    p["description"] = " ".join([first, *extras[:2]])


def pack_keys(p: dict) -> set:
    """Answer paths of flows/backpacks.yaml this product satisfies (hard filters only)."""
    a = p["attributes"]
    bs = bucket_of(a["capacity_l"], BP_CAP[2], BP_CAP[0], BP_CAP[1])
    out = {(a["use"], "any", b) for b in bs}
    if a["laptop_sleeve"]:
        out |= {(a["use"], "laptop", b) for b in bs}
    return out


def pack_needed() -> list:
    out = []
    for use in ["commute", "school", "hiking", "travel"]:
        for b in range(4):
            out.append((use, "any" if use == "hiking" else "laptop", b))
    return out


def pack_force(key) -> dict:
    use, lap, b = key
    return {"use": use, "bucket": b, **({"laptop": True} if lap == "laptop" else {})}


# ---------------------------------------------------------------------------------------------------------------
# Kitchen knives (JPY, Japanese)
# ---------------------------------------------------------------------------------------------------------------

KN_BUDGET = (2000, 50000, [10000, 20000])
KN_TYPES = {  # type -> (name, blade range mm, price range yen, weight)
    "santoku": ("三徳包丁", (165, 180), (2980, 32000), 30),
    "gyuto": ("牛刀", (180, 270), (3980, 48000), 22),
    "petty": ("ペティナイフ", (120, 150), (2480, 22000), 16),
    "nakiri": ("菜切り包丁", (160, 180), (3480, 28000), 10),
    "deba": ("出刃包丁", (105, 210), (4980, 42000), 8),
    "yanagiba": ("柳刃包丁", (210, 300), (4980, 48000), 9),
    "bread": ("パン切りナイフ", (210, 270), (2480, 24000), 8),
}
KN_BRANDS = {  # brand -> (origin, rating centre, price tier)
    "関匠": ("seki", 4.3, 1.0), "越前刃物工房": ("echizen", 4.5, 1.2), "堺一刃": ("sakai", 4.6, 1.35),
    "土佐打刃物 山彦": ("tosa", 4.2, 0.9), "燕三条 研ぎ屋": ("tsubame", 4.3, 1.0), "美濃白鷺": ("seki", 4.1, 0.8),
    "三木 銀月": ("miki", 4.4, 1.1), "播州鉄心": ("miki", 4.2, 0.95), "越後雪峰": ("tsubame", 4.4, 1.15),
}
KN_MIN_PRICE = {"stainless": 2000, "carbon": 4000, "damascus": 4500, "powder": 6500}
KN_STEEL_NAMES = {
    "stainless": ["モリブデンバナジウム鋼", "ハイカーボンステンレス", "特殊ステンレス鋼", "ステンレス刃物鋼"],
    "carbon": ["白鋼二号", "青鋼二号", "白鋼一号", "安来鋼", "青鋼一号"],
    "damascus": ["ダマスカス33層", "ダマスカス45層", "槌目ダマスカス", "ダマスカス17層"],
    "powder": ["粉末ハイス鋼", "粉末冶金鋼", "粉末ハイス鋼 三層"],
}
KN_HANDLE_NAMES = {"wood": ["朴の木柄", "黒檀八角柄", "胡桃柄", "栗八角柄", "桜柄"],
                   "resin": ["積層強化木柄", "樹脂柄", "エラストマー柄"],
                   "stainless": ["オールステンレス一体型", "ステンレス一体柄"]}


def make_knife(rng: random.Random, force: dict | None = None) -> dict:
    f = force or {}
    brand = rng.choice(list(KN_BRANDS))
    origin, centre, tier = KN_BRANDS[brand]
    types = list(KN_TYPES)
    ktype = f.get("knife_type") or rng.choices(types, [KN_TYPES[t][3] for t in types])[0]
    name, (blo, bhi), (plo, phi), _ = KN_TYPES[ktype]
    if ktype == "bread":
        steel = "stainless" if rng.random() < 0.85 else "damascus"
    else:
        steel = f.get("steel") or rng.choices(["stainless", "carbon", "damascus", "powder"], [45, 22, 20, 13])[0]
    dishwasher = f.get("dishwasher") if "dishwasher" in f else (steel == "stainless" and rng.random() < 0.35)
    if dishwasher:
        steel = "stainless"
    single = ktype in ("deba", "yanagiba")
    if dishwasher:
        handle = rng.choice(["resin", "stainless"])
    elif single or ktype == "nakiri" or steel == "carbon":
        handle = rng.choices(["wood", "resin"], [8, 2])[0]
    else:
        handle = rng.choices(["wood", "resin", "stainless"], [5, 4, 2])[0]
    steel_factor = {"stainless": 0.8, "carbon": 1.0, "damascus": 1.35, "powder": 1.6}[steel]
    if "bucket" in f:
        edges = [KN_BUDGET[0], *KN_BUDGET[2], KN_BUDGET[1]]
        lo = max(edges[f["bucket"]], plo - 1, KN_MIN_PRICE[steel])
        hi = min(edges[f["bucket"] + 1], max(lo + 3000, int(phi * 1.1)))
        price = yen(rng, lo, round(rng.triangular(lo + 500, hi, lo + (hi - lo) * 0.3)))
    else:
        base = rng.triangular(plo, phi, plo + (phi - plo) * 0.25) * steel_factor * tier
        base = min(phi, max(plo, base))
        base = max(base, KN_MIN_PRICE[steel] + 500)
        price = yen(rng, int(base * 0.9), int(base * 1.1) + 2)
    price = max(2480, min(49800, price))
    blade = rng.choice(range(blo, bhi + 1, 15)) if bhi > blo else blo
    if ktype == "santoku":
        blade = rng.choice([165, 170, 180])
    lefty = (not single) or rng.random() < 0.2
    tags = {"stainless": ["ステンレス", "錆びにくい"], "carbon": ["鋼", "ハガネ", "本格派"],
            "damascus": ["ダマスカス", "ステンレス"], "powder": ["粉末鋼", "切れ味長持ち"]}[steel][:]
    tags.append("和包丁" if ktype in ("santoku", "nakiri", "deba", "yanagiba") else "洋包丁")
    if dishwasher:
        tags.append("食洗機対応")
    if single:
        tags.append("片刃")
        if lefty:
            tags.append("左利き用")
    else:
        tags.append("両刃")
        if rng.random() < 0.3:
            tags.append("左利き対応")
    if price < 9000 and steel in ("stainless", "damascus") and not single:
        tags.append("初心者向け")
    if price > 18000 and rng.random() < 0.7:
        tags.append("プロ仕様")
    if rng.random() < (0.55 if steel == "damascus" else 0.15):
        tags.append("gift")
    if "gift" in tags:
        tags.append("ギフト")
    if rng.random() < 0.2:
        tags.append("名入れ可")
    tags.append("日本製")
    tags = list(dict.fromkeys(tags))
    attrs = {"knife_type": ktype, "steel": steel, "blade_mm": blade, "handle": handle,
             "dishwasher_safe": dishwasher, "left_handed_ok": lefty, "bevel": "single" if single else "double",
             "origin": origin}
    return {"brand": brand, "category": "kitchen-knives", "price": price, "currency": "JPY",
            "rating": rating(rng, centre), "stock": stock(rng), "tags": tags, "attributes": attrs}


def knife_text(rng: random.Random, p: dict, used: set) -> None:
    a = p["attributes"]
    name = KN_TYPES[a["knife_type"]][0]
    for _ in range(200):
        steel_name = rng.choice(KN_STEEL_NAMES[a["steel"]])
        handle_name = rng.choice(KN_HANDLE_NAMES[a["handle"]])
        parts = [p["brand"], steel_name, name, f"{a['blade_mm']}mm"]
        if a["bevel"] == "single" and a["left_handed_ok"]:
            parts.append("左利き用")
        elif rng.random() < 0.35:
            parts.append(handle_name)
        title = " ".join(parts)
        if title not in used:
            used.add(title)
            break
    p["title"] = title
    use = {
        "santoku": ["肉・魚・野菜となんでもこなす万能包丁です。", "家庭の台所で一番出番の多い、使い勝手のよい三徳包丁です。",
                    "初めての一本にも買い替えにも向く、バランスのよい三徳です。"],
        "gyuto": ["肉の塊から野菜の千切りまで、長い刃渡りでスッと引き切れる牛刀です。",
                  "プロの厨房でも定番の、切れ味と取り回しを両立した牛刀です。",
                  "大きな食材を一度に切れる、洋食にも和食にも使える一本です。"],
        "petty": ["果物の皮むきや薬味、ちょっとした下ごしらえに便利な小回りのきくペティナイフです。",
                  "まな板を出すまでもない作業にさっと使える、手になじむ小型ナイフです。"],
        "nakiri": ["刃がまっすぐでまな板にぴたりと当たり、キャベツの千切りや大根のかつらむきが楽しくなります。",
                   "野菜をトントンと気持ちよく刻める、両刃の菜切り包丁です。"],
        "deba": ["厚く重い刃で、魚をおろしたり骨を断ったりするのに向いた出刃包丁です。",
                 "アジから鯛まで、魚の下処理を一本でこなせる本格的な出刃です。"],
        "yanagiba": ["長い刃を一息に引いて、刺身の角をピンと立てて切り付けられる柳刃包丁です。",
                     "刺身や寿司の切り付けに欠かせない、片刃の柳刃です。"],
        "bread": ["波刃がパンの皮をとらえ、柔らかい食パンもつぶさずに切れます。",
                  "ハード系のバゲットからふわふわのシフォンケーキまで、断面がきれいに仕上がります。"],
    }[a["knife_type"]]
    steel = {
        "stainless": ["錆びにくいステンレス鋼で、毎日の手入れが簡単です。", "ステンレス製なので水気に強く、お手入れも気軽です。"],
        "carbon": ["鋼ならではの鋭い切れ味と研ぎやすさが魅力です。使用後は水気をよく拭き取ってください。",
                   "職人が一本ずつ鍛えた鋼の刃で、研ぐほどに手になじみます。錆びやすいので手入れは丁寧に。"],
        "damascus": ["刃に浮かぶダマスカス模様が美しく、贈り物にも喜ばれます。",
                     "芯材を多層鋼で包んだダマスカス仕上げで、切れ味と美しさを兼ね備えています。"],
        "powder": ["硬度の高い粉末鋼を使い、鋭い切れ味が長く続きます。", "粉末冶金鋼の刃は粘りがあり、研ぎ直しの回数が少なくて済みます。"],
    }[a["steel"]]
    handle = {"wood": "天然木の柄は握りやすく、手に温かくなじみます。", "resin": "樹脂系の柄は水に強く衛生的です。",
              "stainless": "柄まで一体のステンレス製で、継ぎ目に汚れがたまりません。"}[a["handle"]]
    extras = [rng.choice(steel), handle]
    if a["dishwasher_safe"]:
        extras.append("食器洗い乾燥機にも対応しています。")
    if a["bevel"] == "single" and a["left_handed_ok"]:
        extras.append("左利きの方のために刃付けを逆にした左利き用です。")
    if "gift" in p["tags"]:
        extras.append(rng.choice(["化粧箱入りで、お祝いの贈り物にもおすすめです。", "桐箱入りなので、ギフトにも最適です。"]))
    if "名入れ可" in p["tags"]:
        extras.append("刃にお名前を彫る名入れサービスもご利用いただけます。")
    first = rng.choice(use)
    extras = extras[:1] + rng.sample(extras[1:], min(2, len(extras) - 1))
    p["description"] = first + "".join(extras)


def knife_keys(p: dict) -> set:
    """Answer paths of flows/knives.yaml this product satisfies (hard filters only)."""
    a = p["attributes"]
    bs = bucket_of(p["price"], KN_BUDGET[2], KN_BUDGET[0], KN_BUDGET[1])
    out = {(a["knife_type"], a["steel"], b) for b in bs}
    if a["dishwasher_safe"]:
        out |= {(a["knife_type"], "dishwasher", b) for b in bs}
    return out


def knife_needed() -> list:
    out = []
    for t in KN_TYPES:
        for b in range(3):
            if t != "bread":
                for s in ["stainless", "carbon", "damascus", "powder"]:
                    out.append((t, s, b))
            out.append((t, "dishwasher", b))
    return out


def knife_need(key) -> int:
    """Popular answer paths get more than one product, so their results are not all relaxed."""
    t, s, b = key
    if t in ("santoku", "gyuto", "petty") and s in ("stainless", "damascus", "dishwasher"):
        return 2
    if t == "bread" and s == "dishwasher":
        return 2
    return 1


def knife_force(key) -> dict:
    t, s, b = key
    if s == "dishwasher":
        return {"knife_type": t, "steel": "stainless", "dishwasher": True, "bucket": b}
    return {"knife_type": t, "steel": s, "dishwasher": False, "bucket": b}


# ---------------------------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------------------------


def build(rng, make, keys, needed, force, first_batch, target, min_cover):
    """first_batch random products, then products made for uncovered answer paths, then random up to target.
    Finally ~8% of the random ones go out of stock, never leaving an answer path with fewer than min_cover."""
    items = [dict(make(rng), _made="random") for _ in range(first_batch)]
    need = min_cover if callable(min_cover) else (lambda key: min_cover)
    cover = Counter(k for p in items if p["stock"] > 0 for k in keys(p))
    for key in needed():
        while cover[key] < need(key):
            p = dict(make(rng, force(key)), _made="gap")
            assert key in keys(p), (key, p)
            p["stock"] = max(p["stock"], 1)
            items.append(p)
            cover.update(keys(p))
    while len(items) < target:
        p = dict(make(rng), _made="random")
        items.append(p)
        cover.update(keys(p))
    for p in items:
        p["stock"] = max(p["stock"], 1)
    zeros = round(len(items) * ZERO_STOCK_SHARE)
    order = [p for p in items if p["_made"] == "random"]
    gaps = [p for p in items if p["_made"] == "gap"]
    rng.shuffle(order)
    rng.shuffle(gaps)
    order += gaps
    for p in order:
        if zeros == 0:
            break
        ks = keys(p)
        if all(cover[k] > need(k) for k in ks):
            p["stock"] = 0
            cover.subtract(ks)
            zeros -= 1
    rng.shuffle(items)  # so gap-fillers do not cluster at the end
    return items


def finish(items, prefix, image_of, text, rng):
    used: set = set()
    out = []
    for i, p in enumerate(items, 1):
        text(rng, p, used)
        pid = f"{prefix}-{i:03d}"
        rec = {"id": pid, "title": p["title"], "description": p["description"], "brand": p["brand"],
               "category": p["category"], "price": p["price"], "currency": p["currency"], "rating": p["rating"],
               "stock": p["stock"], "image": f"/catalog/images/{image_of(p)}", "link": f"/p/{pid}",
               "tags": p["tags"], "attributes": p["attributes"]}
        out.append(rec)
    return out


def shoe_image(p):
    return f"rs-{p['attributes']['colour']}.svg"


def pack_image(p):
    return f"bp-{p['attributes']['colour']}.svg"


def knife_image(p):
    a = p["attributes"]
    finish_ = "damascus" if a["steel"] == "damascus" else ("dark" if a["steel"] == "carbon" else "bright")
    return f"kn-{a['knife_type']}-{finish_}-{a['handle']}.svg"


# ---------------------------------------------------------------------------------------------------------------
# Illustrations (each < 2 KB)
# ---------------------------------------------------------------------------------------------------------------


def _svg(title: str, bg: str, body: str) -> str:
    top, bottom = mix(bg, "#ffffff", 0.55), mix(bg, "#ffffff", 0.25)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 240" width="320" height="240" role="img">'
        f"<title>{title}</title>"
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="{top}"/>'
        f'<stop offset="1" stop-color="{bottom}"/></linearGradient></defs>'
        '<rect width="320" height="240" rx="18" fill="url(#g)"/>'
        f"{body}</svg>\n"
    )


def shoe_svg(colour: str) -> str:
    c = HEX[colour]
    light = colour in ("white", "cream", "yellow", "lime", "sand")
    bg = mix(c, "#dfe6ee", 0.75) if not light else "#c9d3de"
    dark = mix(c, "#000000", 0.35)
    accent = "#ffffff" if not light else mix(c, "#000000", 0.45)
    sole = "#f7f7f4" if colour not in ("white", "cream") else "#3a3d44"
    body = (
        f'<ellipse cx="163" cy="194" rx="118" ry="9" fill="{mix(bg, "#000000", 0.25)}" opacity=".35"/>'
        f'<path d="M50 172c-2-30 2-58 22-70l34-6c14 14 34 16 50 7l48 20c34 8 62 16 74 35 3 8-1 14-10 14H50z" '
        f'fill="{c}" stroke="{dark}" stroke-width="3" stroke-linejoin="round"/>'
        f'<path d="M46 172h228c10 0 12 16 0 18H62c-14 0-20-10-16-18z" fill="{sole}" stroke="{dark}" '
        'stroke-width="3" stroke-linejoin="round"/>'
        f'<path d="M84 160c30-8 70-30 96-54" fill="none" stroke="{accent}" stroke-width="9" stroke-linecap="round"'
        ' opacity=".85"/>'
        f'<path d="M72 104l-4 62" stroke="{dark}" stroke-width="3" opacity=".5"/>'
        f'<g stroke="{accent}" stroke-width="4" stroke-linecap="round"><path d="M164 112l8-10"/>'
        '<path d="M180 119l8-10"/><path d="M196 126l8-10"/></g>'
    )
    return _svg(f"{colour.capitalize()} running shoe", bg, body)


def pack_svg(colour: str) -> str:
    c = HEX[colour]
    bg = mix(c, "#e4e9e2", 0.78)
    dark = mix(c, "#000000", 0.35)
    pocket = mix(c, "#000000", 0.15)
    zip_ = mix(c, "#ffffff", 0.55)
    body = (
        f'<ellipse cx="160" cy="206" rx="78" ry="8" fill="{mix(bg, "#000000", 0.3)}" opacity=".35"/>'
        f'<path d="M140 50c0-16 40-16 40 0" fill="none" stroke="{dark}" stroke-width="7" stroke-linecap="round"/>'
        f'<path d="M108 78c4-14 20-26 52-26s48 12 52 26l6 112c0 10-6 14-14 14H116c-8 0-14-4-14-14z" '
        f'fill="{c}" stroke="{dark}" stroke-width="3" stroke-linejoin="round"/>'
        f'<path d="M116 88c12-14 76-14 88 0" fill="none" stroke="{zip_}" stroke-width="3" stroke-dasharray="4 3"/>'
        f'<rect x="124" y="132" width="72" height="56" rx="14" fill="{pocket}" stroke="{dark}" stroke-width="3"/>'
        f'<path d="M132 148h56" stroke="{zip_}" stroke-width="3" stroke-linecap="round"/>'
        f'<rect x="154" y="142" width="12" height="12" rx="3" fill="{zip_}"/>'
        f'<path d="M102 120h-10c-6 0-8 4-8 8v44c0 6 4 8 10 8h8" fill="{pocket}" stroke="{dark}" stroke-width="3"/>'
        f'<path d="M218 120h10c6 0 8 4 8 8v44c0 6-4 8-10 8h-8" fill="{pocket}" stroke="{dark}" stroke-width="3"/>'
    )
    return _svg(f"{colour.capitalize()} backpack", bg, body)


# blade outlines, spine along y=110, handle on the left ending at x=112
KN_BLADES = {
    "santoku": "M112 104h150c6 0 10 4 8 10-10 30-40 46-86 50-30 2-56 0-72-2z",
    "gyuto": "M112 104h168c8 0 10 4 6 8-22 26-70 46-120 50-22 1-42 0-54-2z",
    "petty": "M112 106h116c6 0 8 4 4 8-16 18-50 28-88 30-12 0-24 0-32-2z",
    "nakiri": "M112 102h150c4 0 6 2 6 6v50c0 4-2 6-6 6H112z",
    "deba": "M112 100h130c10 0 14 4 10 10-14 26-44 50-84 56-20 2-40 0-56-2z",
    "yanagiba": "M112 106h186c6 0 6 4 2 6-30 16-90 28-150 30-14 0-28 0-38-2z",
    "bread": "M112 104h156c8 0 10 10 0 14l-4 2H112z",
}
KN_HANDLES = {"wood": "#a0703f", "resin": "#2f3033", "stainless": "#b9c0c8"}
KN_BG = {"santoku": "#e9e0cf", "gyuto": "#dfe4e8", "petty": "#efe1d6", "nakiri": "#dfe8d8", "deba": "#dde3ea",
         "yanagiba": "#e6dfea", "bread": "#efe6d0"}
KN_JA = {"wood": "木柄", "resin": "樹脂柄", "stainless": "ステンレス柄"}


def knife_svg(ktype: str, finish_: str, handle: str) -> str:
    bg = KN_BG[ktype]
    blade = {"bright": "#dfe4ea", "dark": "#8e959c", "damascus": "#c9cfd6"}[finish_]
    edge = mix(blade, "#000000", 0.4)
    h = KN_HANDLES[handle]
    hd = mix(h, "#000000", 0.35)
    path = KN_BLADES[ktype]
    body = (
        f'<ellipse cx="170" cy="190" rx="128" ry="7" fill="{mix(bg, "#000000", 0.3)}" opacity=".35"/>'
        f'<g transform="translate(0 12)"><clipPath id="b"><path d="{path}"/></clipPath>'
        f'<path d="{path}" fill="{blade}" stroke="{edge}" stroke-width="2.5" stroke-linejoin="round"/>'
        f'<path d="M120 112h{"140" if ktype != "petty" else "100"}" stroke="#ffffff" stroke-width="3" '
        'opacity=".6" stroke-linecap="round"/>'
    )
    if finish_ == "damascus":
        body += (f'<path clip-path="url(#b)" d="M116 126c20-8 30 8 50 0s30 8 50 0s30 8 50 0M116 140c20-8 30 8 50 0'
                 f's30 8 50 0s30 8 50 0M116 154c20-8 30 8 50 0s30 8 50 0" fill="none" stroke="{edge}" '
                 'stroke-width="1.5" opacity=".45"/>')
    if finish_ == "dark":
        body += '<path clip-path="url(#b)" d="M112 96h130v22H112z" fill="#4a4f55" opacity=".55"/>'
    if ktype == "bread":
        body += f'<path d="M116 118' + "".join("l5 4l5-4" for _ in range(15)) + f'" fill="none" stroke="{edge}"/>'
    body += (
        f'<rect x="100" y="100" width="14" height="24" rx="3" fill="{mix(h, "#ffffff", 0.2)}" stroke="{hd}" '
        'stroke-width="2"/>'
        f'<path d="M100 102H34c-8 0-12 6-12 10s4 10 12 10h66z" fill="{h}" stroke="{hd}" stroke-width="2.5" '
        'stroke-linejoin="round"/>'
    )
    if handle == "stainless":
        body += '<g fill="#8b939c"><circle cx="44" cy="112" r="2.5"/><circle cx="56" cy="112" r="2.5"/></g>'
    body += "</g>"
    title = f"{KN_TYPES[ktype][0]}（{KN_JA[handle]}）"
    return _svg(title, bg, body)


# ---------------------------------------------------------------------------------------------------------------


XSS = {
    "id": "rs-xss", "title": "<img src=x onerror=alert(1)>",
    "description": "A lightweight road trainer with a breathable mesh upper and a medium-cushioned ride for "
                   "everyday miles.",
    "brand": "Stridewell", "category": "running-shoes", "price": 94.0, "currency": "USD", "rating": 3.4,
    "stock": 3, "image": "/catalog/images/rs-brown.svg", "link": "/p/rs-xss", "tags": ["lightweight", "breathable"],
    "attributes": {"terrain": "road", "colour": "brown", "cushioning": "medium", "sizes": ["8", "9", "10", "11"],
                   "weight_g": 230, "waterproof": False, "drop_mm": 8, "width": "regular"},
}


def main() -> None:
    rng = random.Random(SEED)
    shoes = build(rng, make_shoe, shoe_keys, shoe_needed, shoe_force, first_batch=60, target=130,
                  min_cover=lambda k: 1 if k[0] == "track" else 2)
    packs = build(rng, make_pack, pack_keys, pack_needed, pack_force, first_batch=80, target=110, min_cover=3)
    knives = build(rng, make_knife, knife_keys, knife_needed, knife_force, first_batch=20, target=100,
                   min_cover=knife_need)
    products = (finish(shoes, "rs", shoe_image, shoe_text, rng) + [XSS]
                + finish(packs, "bp", pack_image, pack_text, rng)
                + finish(knives, "kn", knife_image, knife_text, rng))

    with open(HERE / "products.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for p in products:
            fh.write(json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n")

    IMAGES.mkdir(exist_ok=True)
    svgs = {}
    for c in sorted(set(RS_COLOURS) | {"brown"}):
        svgs[f"rs-{c}.svg"] = shoe_svg(c)
    for c in BP_COLOURS:
        svgs[f"bp-{c}.svg"] = pack_svg(c)
    for t in KN_TYPES:
        for fin in ("bright", "dark", "damascus"):
            for h in KN_HANDLES:
                svgs[f"kn-{t}-{fin}-{h}.svg"] = knife_svg(t, fin, h)
    for old in IMAGES.glob("*.svg"):
        if old.name not in svgs:
            old.unlink()
    for name, text in svgs.items():
        (IMAGES / name).write_text(text, encoding="utf-8", newline="\n")
    missing = {p["image"] for p in products} - {f"/catalog/images/{n}" for n in svgs}
    assert not missing, missing
    print(f"wrote {len(products)} products and {len(svgs)} images")


if __name__ == "__main__":
    main()
