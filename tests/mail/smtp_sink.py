#!/usr/bin/env python3
"""A real SMTP server on loopback for the tests (aiosmtpd, from PyPI; scripts/smtp.sh installs it).

Every message it accepts is written to --dir as one JSON file (n.json: envelope, headers, the text and HTML parts
and the raw message), so a test reads what a mail client would get and follows its links.

    smtp_sink.py --dir DIR [--port 0] [--reject-rcpt ADDRESS] [--kill-pid-file FILE] [--exit-with-stdin]

--port 0 picks a free port; the sink prints one JSON line, {"port": N}, once it listens.
--reject-rcpt ADDRESS answers 550 (a permanent refusal) to that recipient.
--kill-pid-file FILE: on every message, after storing it and before answering 250, sends SIGKILL to the process
  whose pid FILE holds, then removes FILE (the fault scenario: the sender dies between the server's acceptance
  and its own commit).
--exit-with-stdin stops the sink when its standard input closes (so a test that dies does not leave it running).
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import sys
import threading

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, args):
        self.dir = args.dir
        self.reject = {a.lower() for a in args.reject_rcpt}
        self.kill_pid_file = args.kill_pid_file
        self.count = len([n for n in os.listdir(self.dir) if n.endswith(".json")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": str(msg.get("Message-ID", "")),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "date": str(msg.get("Date", "")),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "raw": raw.decode("utf-8", "replace"),
        }
        self.count += 1
        path = os.path.join(self.dir, f"{self.count:06d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        if self.kill_pid_file and os.path.exists(self.kill_pid_file):
            with open(self.kill_pid_file) as f:
                pid = int(f.read().strip())
            os.remove(self.kill_pid_file)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await asyncio.sleep(0.2)
        return "250 Message accepted for delivery"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--reject-rcpt", action="append", default=[])
    p.add_argument("--kill-pid-file")
    p.add_argument("--exit-with-stdin", action="store_true")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    sink = Sink(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", enable_SMTPUTF8=True), "127.0.0.1", args.port
    )
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    stop = loop.create_future()
    if args.exit_with_stdin:
        def watch():
            sys.stdin.read()
            loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))
        threading.Thread(target=watch, daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    await stop
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
