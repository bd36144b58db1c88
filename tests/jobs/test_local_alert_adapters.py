"""The jobs' local edges: a claim is granted once across processes, alerts are appended
as JSON lines, snapshots are replaced whole."""

import io
import json
from concurrent.futures import ProcessPoolExecutor

from p402.adapters.local_alerts import LocalAlertPublisher, LocalAlertState, LocalSnapshotStore


def _claim(data_dir: str) -> bool:
    return LocalAlertState(data_dir).claim("budget:b:month:2026-11-01T00:00:00Z:threshold:100")


def test_a_key_is_claimed_once_when_processes_race_for_it(tmp_path):
    with ProcessPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(_claim, [str(tmp_path)] * 12))

    assert results.count(True) == 1


def test_a_claim_survives_a_new_state_object_and_ignores_a_torn_last_line(tmp_path):
    LocalAlertState(tmp_path).claim("a")
    with open(tmp_path / "alert_state.jsonl", "ab") as handle:
        handle.write(b'{"key": "b"')  # a crash mid-append: "b" was never claimed

    state = LocalAlertState(tmp_path)

    assert (state.claim("a"), state.claim("b")) == (False, True)


def test_an_alert_goes_to_the_stream_and_the_file_as_one_json_line(tmp_path):
    stream = io.StringIO()
    alert = {"kind": "budget_threshold", "budget_id": "b", "spend_usd": "0.75"}

    LocalAlertPublisher(tmp_path, stream).publish(alert)
    LocalAlertPublisher(tmp_path, stream).publish(alert)

    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [alert, alert]
    assert stream.getvalue().splitlines() == lines


def test_a_snapshot_is_replaced_whole_and_an_unwritten_one_reads_none(tmp_path):
    store = LocalSnapshotStore(tmp_path)

    store.write("budget_states", {"b": {"state": "warn"}})
    store.write("budget_states", {"b": {"state": "over"}})

    assert store.read("budget_states") == {"b": {"state": "over"}}
    assert store.read("optimize_ranking") is None
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ["budget_states.json"]
