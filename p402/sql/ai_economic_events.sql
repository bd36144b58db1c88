-- The ledger as every query reads it: one row per event_id, with retry waste and context
-- waste derived across rows. Athena (Trino) dialect; run locally on DuckDB via sqlglot.
-- The columns hole below is filled from p402/schema.py, less the two columns derived here.
--
-- Rules:
-- * One row per event_id: the first copy received wins (client retries and Firehose
--   redeliveries carry the same event_id).
-- * retry_cost_usd: every attempt of a call_id but the one that ended it (the highest
--   attempt, then the latest) costs its whole cost_usd as retry waste; so does an attempt
--   the client marked final_attempt = false. Each event counts at most its own cost once.
-- * context_waste_usd: the unused context the client reported (priced at ingest), plus
--   prefix_rebill_usd when the same prompt prefix (hash) went to the same model within the
--   hour before: a repeated prefix billed above the cache-read price could have been a
--   cache read.
-- Windows are partitioned by dt as well, so a filter on dt prunes partitions on Athena.
-- The cost of that: attempts of one call on both sides of a UTC midnight are judged
-- apart (the last attempt before midnight counts as final), and a prefix repeated just
-- after midnight is not counted as waste. Both under-count, never double count.
CREATE OR REPLACE VIEW ai_economic_events AS
WITH copies AS (
    SELECT
        landed.*,
        row_number() OVER (
            PARTITION BY dt, event_id
            ORDER BY received_at, source
        ) AS copy_number
    FROM ai_economic_events_landed AS landed
),
placed AS (
    SELECT
        copies.*,
        row_number() OVER (
            PARTITION BY dt, coalesce(call_id, event_id)
            ORDER BY attempt DESC NULLS LAST, occurred_at DESC, event_id DESC
        ) AS attempt_rank,
        lag(occurred_at) OVER (
            PARTITION BY dt, model, coalesce(prompt_prefix_hash, event_id)
            ORDER BY occurred_at, event_id
        ) AS prefix_sent_before
    FROM copies
    WHERE copy_number = 1
)
SELECT
    {{columns}},
    CAST(
        CASE
            WHEN final_attempt = false THEN cost_usd
            WHEN call_id IS NOT NULL AND attempt_rank > 1 THEN cost_usd
            ELSE 0
        END AS DECIMAL(18, 12)
    ) AS retry_cost_usd,
    CAST(
        coalesce(context_waste_usd, 0) + CASE
            WHEN prompt_prefix_hash IS NOT NULL
                AND prefix_sent_before >= occurred_at - INTERVAL '1' HOUR
            THEN coalesce(prefix_rebill_usd, 0)
            ELSE 0
        END AS DECIMAL(18, 12)
    ) AS context_waste_usd,
    dt
FROM placed
