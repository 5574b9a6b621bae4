"""Requests sent at the same moment, each from its own thread and database connection (for
the PostgreSQL tests of two people saving at once)."""

import threading

from django.db import connection


def post_at_once(posts: dict) -> dict:
    """posts: name -> (client, url, data). Each is sent when all are ready; their status codes."""
    start, results = threading.Barrier(len(posts)), {}

    def send(name):
        start.wait()
        try:
            client, url, data = posts[name]
            results[name] = client.post(url, data).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(name,)) for name in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
