"""Run callables at the same moment in threads, each with its own database connection."""

import threading

from django.db import connection


def at_once(*calls):
    """Start every call together (a barrier) and return their results, in the calls' order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
