"""A webhook endpoint for account-api's account events, verified with the
Standard Webhooks library (pip install standardwebhooks).

    WEBHOOK_SECRET=whsec_... python receiver.py 5002

Each verified event is printed as one JSON line; a request whose signature
does not verify is answered 400 (account-api does not retry a 400), a
duplicate (the same webhook-id again: delivery is at least once) 200 without
handling it twice.
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

webhook = Webhook(os.environ["WEBHOOK_SECRET"])
seen = set()  # use your database in production: ids survive restarts there


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        try:
            # Checks the signature (any of the rotated secrets) and that the
            # timestamp is within five minutes; returns the parsed payload.
            event = webhook.verify(body, dict(self.headers))
        except WebhookVerificationError:
            self.send_response(400)
            self.end_headers()
            return
        event_id = self.headers["webhook-id"]
        if event_id not in seen:
            seen.add(event_id)
            # Handle it: event["type"] is "user.registered", "user.logged_in", ...
            print(json.dumps({"id": event_id, **event}, ensure_ascii=False), flush=True)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
