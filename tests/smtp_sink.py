"""A real SMTP server on loopback for the email tests (aiosmtpd), bounded in time.

Usage: python3 tests/smtp_sink.py OUT_DIR [MAX_SECONDS]

Listens on 127.0.0.1 on a free port and prints `PORT <n>` once ready. Every message accepted is decoded with
Python's email package (so what the tests read is what a mail client would show) and written to OUT_DIR as
NNNNNN.json: envelope, the client's port (`peer`: which connection carried it), decoded subject, Message-ID,
List-Unsubscribe headers, the text and HTML parts.

The recipient's local part scripts the answer:
- `tempfail-N-…@`: 451 for the first N deliveries to that address, then accepted;
- `reject…@`: 550 (permanent);
- `slow…@`: the message is written, then the answer waits 3 s (a client killed meanwhile never hears the 250);
- `hangup…@`: accepted, then the server closes that connection right after its 250 (as a server restarting or
  limiting messages per connection does), so a client that pools connections finds it closed at its next use;
- anything else: 250.
Exits when stdin closes (the test that started it is gone) or after MAX_SECONDS (default 300).
"""

import asyncio
import email
import email.policy
import json
import os
import sys
import threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out):
        self.out = out
        self.seq = 0
        self.failures = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith("tempfail-"):
            allowed = int(local.split("-")[1])
            seen = self.failures.get(address, 0)
            if seen < allowed:
                self.failures[address] = seen + 1
                return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and kind not in parts:
                parts[kind] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "peer": session.peer[1] if session.peer else None,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "message_id": str(message["message-id"]),
            "list_unsubscribe": str(message.get("list-unsubscribe", "")),
            "list_unsubscribe_post": str(message.get("list-unsubscribe-post", "")),
            "header_names": [k for k, _ in message.items()],
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
        }
        self.seq += 1
        path = os.path.join(self.out, "%06d.json" % self.seq)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        if any(r.split("@")[0].lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(3)
        if any(r.split("@")[0].lower().startswith("hangup") for r in envelope.rcpt_tos):
            # Runs once the 250 below is written (closing flushes it first).
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted"


async def main():
    out = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 300.0
    os.makedirs(out, exist_ok=True)
    sink = Sink(out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    gone = asyncio.Event()

    def watch_stdin():
        sys.stdin.read()
        loop.call_soon_threadsafe(gone.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        await asyncio.wait_for(gone.wait(), timeout=limit)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
