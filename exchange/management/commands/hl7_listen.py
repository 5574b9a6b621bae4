"""`manage.py hl7_listen [--host 127.0.0.1] [--port 2575]`: receive HL7 v2 results over MLLP."""

import sys

from django.core.management.base import BaseCommand

from exchange import listener


class Command(BaseCommand):
    help = "Receive HL7 v2 ORU^R01 results over MLLP and store them as draft scans."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        # IANA's port for HL7 over MLLP ("hl7", docs/clinical-rules.md §14).
        parser.add_argument("--port", type=int, default=2575)

    def handle(self, *args, host, port, **options):
        def ready(server):
            bound = server.sockets[0].getsockname()
            self.stdout.write(f"Listening for HL7 v2 over MLLP on {bound[0]}:{bound[1]}")
            sys.stdout.flush()

        listener.run(host, port, ready=ready)
