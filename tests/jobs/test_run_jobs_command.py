"""`p402 run-jobs`: budgets from a file or the data dir, alerts on stdout and in
alerts.jsonl, a summary line, exit 2 naming the problem of a broken budgets file."""

import json

from jobs_fixtures import costing, utc

from p402.cli import main
from p402.local.jobs_runner import ServeJobs

BUDGET = {"id": "check-budget", "scope": {"workflow_id": "ticket-summary"},
          "period": "month", "limit_usd": 0.01, "thresholds": [50, 80, 100]}


def test_run_jobs_alerts_once_then_stays_quiet_in_the_same_period(ledger, tmp_path, capsys):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"))
    budgets = tmp_path / "budgets.json"
    budgets.write_text(json.dumps([BUDGET]))
    args = ["run-jobs", "--data-dir", str(ledger.data_dir), "--budgets", str(budgets)]

    first = main([*args, "--now", "2026-11-30T23:00:00Z"])
    out, err = capsys.readouterr()
    second = main([*args, "--now", "2026-11-30T23:30:00Z"])
    out_again, err_again = capsys.readouterr()

    assert (first, second) == (0, 0)
    assert [json.loads(line)["threshold"] for line in out.splitlines()] == ["50", "80", "100"]
    assert [a["threshold"] for a in ledger.alerts_file()] == ["50", "80", "100"]
    assert out_again == ""
    assert err.strip() == ("jobs at 2026-11-30T23:00:00Z: 1 workflows ranked (24h); 1 budgets "
                           "(0 within, 0 warn, 1 over); 0 retry storms; 3 alerts published, "
                           "0 already sent")
    assert err_again.strip().endswith("0 alerts published, 3 already sent")


def test_a_budgets_file_in_the_data_dir_is_used_by_default(ledger, capsys):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"))
    (ledger.data_dir / "budgets.yaml").write_text(
        "- id: check-budget\n  scope: {workflow_id: ticket-summary}\n  period: month\n"
        "  limit_usd: 0.01\n  thresholds: [100]\n")

    code = main(["run-jobs", "--data-dir", str(ledger.data_dir), "--now", "2026-11-30T23:00:00Z"])

    assert code == 0
    assert [a["budget_id"] for a in ledger.alerts_file()] == ["check-budget"]


def test_a_broken_budgets_file_exits_2_naming_the_field(ledger, tmp_path, capsys):
    budgets = tmp_path / "budgets.json"
    budgets.write_text(json.dumps([{**BUDGET, "period": "quarter"}]))

    code = main(["run-jobs", "--data-dir", str(ledger.data_dir), "--budgets", str(budgets)])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"p402 run-jobs: budgets file {budgets}: budgets[0].period: got 'quarter', expected "
        "'day', 'week' or 'month'")


def test_a_missing_budgets_file_exits_2(ledger, tmp_path, capsys):
    code = main(["run-jobs", "--data-dir", str(ledger.data_dir),
                 "--budgets", str(tmp_path / "nope.yaml")])

    assert code == 2
    assert "nope.yaml: cannot be read (No such file or directory)" in capsys.readouterr().err


def test_an_unreadable_now_exits_2(ledger, capsys):
    code = main(["run-jobs", "--data-dir", str(ledger.data_dir), "--now", "yesterday"])

    assert code == 2
    assert "--now: got 'yesterday', expected an ISO-8601 time" in capsys.readouterr().err


def test_without_budgets_the_ranking_still_runs(ledger, capsys):
    ledger.land(costing("1", workflow_id="alpha", occurred_at="2026-11-30T10:00:00Z"))

    code = main(["run-jobs", "--data-dir", str(ledger.data_dir), "--now", "2026-11-30T12:00:00Z"])

    assert code == 0
    assert ledger.snapshots.read("budget_states") == {}
    assert ledger.snapshots.read("optimize_ranking")["windows"]["24h"]["workflows"][0][
        "workflow_id"] == "alpha"


def test_serve_jobs_read_an_edited_budgets_file_and_survive_a_broken_one(ledger, caplog):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"))
    budgets_file = ledger.data_dir / "budgets.json"
    budgets_file.write_text("[{\"id\": \"broken\"")
    jobs = ServeJobs(ledger.data_dir, None)

    broken_run = jobs.run(utc("2026-11-30T12:00:00Z"))
    budgets_file.write_text(json.dumps([BUDGET]))
    fixed_run = jobs.run(utc("2026-11-30T12:01:00Z"))
    row = {"workflow_id": "ticket-summary", "occurred_at": "2026-11-30T12:02:00.000Z"}
    jobs.stamp(row)

    assert (broken_run.evaluations, len(fixed_run.alerts)) == ([], 3)
    assert "running without budgets until it is fixed" in caplog.text
    assert (row["budget_id"], row["policy_decision"]) == ("check-budget", "over")
