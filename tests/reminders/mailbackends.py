"""Mail servers for the tests: the outside boundary the sender talks to (STYLE 10 allows faking it).

- FlakyBackend fails the next `failures` sends, then delivers to django.core.mail.outbox.
- FileOutboxBackend (used by worker processes) appends each message as a JSON line to
  $PLANNER_TEST_OUTBOX, so a test in another process can count what was sent. When the file named by
  $PLANNER_TEST_MAIL_HOLD exists, a send first writes "<pid>" to $PLANNER_TEST_MAIL_HOLD.started and then
  waits until the hold file is removed: the test can kill the worker in the middle of a send.
"""

from __future__ import annotations

import json
import os
import smtplib
import time
from pathlib import Path

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class FlakyBackend(BaseEmailBackend):
    failures = 0
    error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise FlakyBackend.error
        if not hasattr(mail, "outbox"):
            mail.outbox = []
        mail.outbox.extend(messages)
        return len(messages)


class FileOutboxBackend(BaseEmailBackend):
    def send_messages(self, messages):
        hold = os.environ.get("PLANNER_TEST_MAIL_HOLD")
        if hold and Path(hold).exists():
            Path(f"{hold}.started").write_text(str(os.getpid()))
            while Path(hold).exists():
                time.sleep(0.05)
        with open(os.environ["PLANNER_TEST_OUTBOX"], "a", encoding="utf-8") as outbox:
            for message in messages:
                line = {"to": message.to, "subject": message.subject, "message_id": message.extra_headers["Message-ID"]}
                outbox.write(json.dumps(line) + "\n")
            outbox.flush()
            os.fsync(outbox.fileno())
        return len(messages)
