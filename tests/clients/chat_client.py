"""A chat client written from docs/protocol.md alone, with Python's `websockets`.

Usage: python3 chat_client.py WS_URL FLOW LOCALE SCHEMA_FILE

It completes the finder FLOW: it answers each question with the first options (a multi question with as many as
`select.min` asks, a range question with a bound inside the slider), goes back once and answers again, drops the
connection half-way and resumes with the token on a new one, then prints one JSON line with what it saw. Every
message from the server is checked against the published JSON Schema. Exits non-zero on anything unexpected.
Every wait is bounded.
"""

import asyncio
import json
import sys

import jsonschema
import websockets

TIMEOUT = 10


class Failure(Exception):
    pass


async def receive(ws, validator):
    raw = await asyncio.wait_for(ws.recv(), TIMEOUT)
    if not isinstance(raw, str):
        raise Failure(f"expected a text frame, got {raw!r}")
    message = json.loads(raw)
    errors = sorted(validator.iter_errors(message), key=str)
    if errors:
        raise Failure(f"message does not fit the schema: {errors[0].message}: {raw}")
    return message


async def until_step(ws, validator, seen):
    """Reads messages until a question or products message; an error is a failure."""
    for _ in range(20):
        message = await receive(ws, validator)
        seen.append(message["type"])
        if message["type"] == "error":
            raise Failure(f"server error: {message}")
        if message["type"] in ("question", "products"):
            return message
    raise Failure("no question or products within 20 messages")


def answer_for(question):
    kind = question["kind"]
    if kind == "multi":
        wanted = (question.get("select") or {}).get("min", 1)
        return {"type": "answer", "values": [o["value"] for o in question["options"][:wanted]]}
    if kind == "range":
        slider = question["range"]
        return {"type": "answer", "range": {"max": slider["max"] - slider["step"]}}
    return {"type": "answer", "value": question["options"][0]["value"]}


async def converse(url, flow, locale, validator):
    seen = []
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "start", "v": 1, "flow": flow, "locale": locale}))
        session = await receive(ws, validator)
        if session["type"] != "session" or session["resumed"]:
            raise Failure(f"expected a new session first, got {session}")
        token = session["token"]
        question = await until_step(ws, validator, seen)
        # Answer, go back, and answer again: the same question comes back.
        first_id = question["id"]
        await ws.send(json.dumps(answer_for(question)))
        step = await until_step(ws, validator, seen)
        await ws.send(json.dumps({"type": "back"}))
        question = await until_step(ws, validator, seen)
        if question["id"] != first_id:
            raise Failure(f"back asked {question['id']}, not {first_id}")
        await ws.send(json.dumps(answer_for(question)))
        step = await until_step(ws, validator, seen)
    # The connection is gone; resume on a new one.
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "start", "v": 1, "flow": flow, "resume": token}))
        session = await receive(ws, validator)
        if session["type"] != "session" or not session["resumed"]:
            raise Failure(f"expected the resumed session, got {session}")
        resumed = await until_step(ws, validator, seen)
        if resumed.get("id") != step.get("id"):
            raise Failure(f"resumed at {resumed.get('id')}, not {step.get('id')}")
        step = resumed
        for _ in range(30):
            if step["type"] == "products":
                break
            await ws.send(json.dumps(answer_for(step)))
            step = await until_step(ws, validator, seen)
        else:
            raise Failure("the finder did not end within 30 answers")
        products = step["products"]
        if products:
            await ws.send(json.dumps({"type": "event", "kind": "clicked", "product": products[0]["id"]}))
        await ws.send(json.dumps({"type": "restart"}))
        restarted = await until_step(ws, validator, seen)
        if restarted.get("id") != first_id:
            raise Failure(f"restart asked {restarted.get('id')}, not {first_id}")
    return {
        "flow": flow,
        "products": [p["id"] for p in products],
        "lines": [p["explanation"]["line"] for p in products],
        "relaxed": [r["label"] for r in step["relaxed"]],
        "types": sorted(set(seen)),
    }


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    url, flow, locale, schema_file = sys.argv[1:]
    with open(schema_file, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    try:
        outcome = asyncio.run(converse(url, flow, locale, validator))
    except (Failure, asyncio.TimeoutError, websockets.WebSocketException, OSError) as error:
        print(f"chat_client: {flow}: {error!r}", file=sys.stderr)
        return 1
    print(json.dumps(outcome, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
