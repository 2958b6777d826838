"""A real SMTP server on loopback for the email tests (aiosmtpd), bounded in time.

Usage: python3 tests/smtp_sink.py OUT_DIR [MAX_SECONDS] [--raw] [--processes N]

Listens on 127.0.0.1 on a free port and prints `PORT <n>` once ready. Every message accepted is decoded with
Python's email package (so what the tests read is what a mail client would show) and written to OUT_DIR as
NNNNNN.json: envelope, the client's port (`peer`: which connection carried it), decoded subject, Message-ID,
List-Unsubscribe headers, the text and HTML parts.

`--raw` (the email benchmark): each message is written as received (NNNNNN.eml) and not decoded: Python's email
package takes milliseconds a message, which made this sink, not the client, the limit of a throughput figure.
`--processes N`: N processes accept on the one port (SO_REUSEPORT; the kernel spreads the connections), their files
named NNNNNN-K.* by process.

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
import socket
import sys
import threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, out, raw=False, name="%06d"):
        self.out = out
        self.raw = raw
        self.name = name
        self.seq = 0
        self.failures = {}

    def write(self, suffix, data):
        self.seq += 1
        path = os.path.join(self.out, (self.name % self.seq) + suffix)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)

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
        if self.raw:
            self.write(".eml", envelope.content)
            return await self.answer(server, envelope)
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
        self.write(".json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
        return await self.answer(server, envelope)

    async def answer(self, server, envelope):
        if any(r.split("@")[0].lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(3)
        if any(r.split("@")[0].lower().startswith("hangup") for r in envelope.rcpt_tos):
            # Runs once the 250 below is written (closing flushes it first).
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted"


def listening_socket(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


async def serve(sink, sock, limit, stop_fd):
    """Serves on `sock` until `stop_fd` reads end-of-file (stdin closed; the parent gone) or `limit` seconds."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True), sock=sock
    )
    gone = asyncio.Event()

    def watch():
        with os.fdopen(stop_fd, "rb", closefd=False) as f:
            f.read()
        loop.call_soon_threadsafe(gone.set)

    threading.Thread(target=watch, daemon=True).start()
    try:
        await asyncio.wait_for(gone.wait(), timeout=limit)
    except asyncio.TimeoutError:
        pass
    server.close()


def main():
    args = sys.argv[1:]
    raw = "--raw" in args
    processes = 1
    if "--processes" in args:
        at = args.index("--processes")
        processes = int(args[at + 1])
        del args[at : at + 2]
    args = [a for a in args if a != "--raw"]
    out = args[0]
    limit = float(args[1]) if len(args) > 1 else 300.0
    os.makedirs(out, exist_ok=True)
    first = listening_socket(0)
    port = first.getsockname()[1]
    socks = [first] + [listening_socket(port) for _ in range(processes - 1)]
    # Children stop when this pipe closes: when this process exits, however it exits.
    stop_read, stop_write = os.pipe()
    for index in range(1, processes):
        if os.fork() == 0:
            os.close(stop_write)
            name = "%06d-" + str(index)
            asyncio.run(serve(Sink(out, raw, name), socks[index], limit, stop_read))
            os._exit(0)
    name = "%06d" if processes == 1 else "%06d-0"
    print("PORT %d" % port, flush=True)
    asyncio.run(serve(Sink(out, raw, name), first, limit, sys.stdin.fileno()))


if __name__ == "__main__":
    main()
