"""The p402 client: records AI calls as ledger events, with only the standard library.

    from p402.client import Recorder
    recorder = Recorder("http://127.0.0.1:8402", api_key, workflow_id="triage")
    recorder.record("openai", "gpt-4o-mini", response)
"""

from p402.client.calls import Attempt, Call
from p402.client.recorder import Recorder
from p402.client.streams import AsyncRecordedStream, RecordedStream

__all__ = ["Attempt", "AsyncRecordedStream", "Call", "RecordedStream", "Recorder"]
