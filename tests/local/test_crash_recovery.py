"""SIGKILL at random points while clients post: every acknowledged event survives, once."""

import http.client
import random
import threading
import time
import uuid

from local_helpers import Server, event, post, query

ROUNDS = 20
BATCH = 50


def _client(url: str, acknowledged: list, unacknowledged: list, stop: threading.Event):
    while not stop.is_set():
        batch = [event(uuid.uuid4().hex) for _ in range(BATCH)]
        try:
            code, body = post(url, batch, timeout=5)
        except (OSError, http.client.HTTPException):  # the server died mid-answer
            unacknowledged.append(batch)
            return
        if code == 202 and body.get("accepted") == BATCH:
            acknowledged.extend(e["event_id"] for e in batch)
        else:
            unacknowledged.append(batch)


def test_acknowledged_events_survive_sigkill_exactly_once(tmp_path):
    rng = random.Random(402)
    acknowledged: list[str] = []
    unacknowledged: list[list[dict]] = []
    server = Server(tmp_path / "data")

    for _ in range(ROUNDS):
        server.start()
        stop = threading.Event()
        clients = [threading.Thread(target=_client, args=(server.url, acknowledged,
                                                          unacknowledged, stop))
                   for _ in range(3)]
        for client in clients:
            client.start()
        time.sleep(rng.uniform(0.05, 0.6))
        server.kill()
        stop.set()
        for client in clients:
            client.join(timeout=10)

    server.start()  # recovery, then a client re-sends what was never acknowledged
    for batch in unacknowledged:
        assert post(server.url, batch)[0] == 202
    server.stop()

    rows = query(server.data_dir, "SELECT count(*) AS n, count(DISTINCT event_id) AS ids "
                                  "FROM ai_economic_events")
    landed = {r["event_id"] for r in query(server.data_dir,
                                           "SELECT event_id FROM ai_economic_events")}
    resent = sum(len(b) for b in unacknowledged)
    assert len(acknowledged) > ROUNDS * BATCH
    assert set(acknowledged) <= landed
    assert rows[0]["n"] == rows[0]["ids"] == len(acknowledged) + resent
