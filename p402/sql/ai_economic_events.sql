-- The ledger as every query reads it: one row per event_id, with retry waste and context
-- waste derived across rows. Athena (Trino) dialect; run locally on DuckDB via sqlglot.
-- The columns hole below is filled from p402/schema.py, less the three columns derived here.
--
-- Rules:
-- * One row per event_id: the first copy received wins (client retries and Firehose
--   redeliveries carry the same event_id).
-- * final_attempt: true when the event ended its call. The client's own word when it sent
--   one; else an event without call_id ends its own call, and among the events of one
--   call_id the highest attempt (when attempts are given) or the latest one ends it.
-- * retry_cost_usd: the whole cost_usd of every event that did not end its call. Each event
--   counts at most its own cost, once.
-- * context_waste_usd: the unused context the client reported (priced at ingest), plus
--   prefix_rebill_usd when the same prompt prefix (hash) went to the same model within the
--   hour before: a repeated prefix billed above the cache-read price could have been a
--   cache read.
-- Everything is derived within one dt partition, so a filter on dt prunes partitions on
-- Athena and a day's rows can be derived once and kept (the local engine does). The cost
-- of that: attempts of one call on both sides of a UTC midnight are judged apart (the last
-- attempt before midnight counts as final), and a prefix repeated just after midnight is
-- not counted as waste. Both under-count, never double count. Two attempts of one call
-- with the same attempt number both count as final (an under-count too).
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
unique_events AS (
    SELECT * FROM copies WHERE copy_number = 1
),
calls AS (
    SELECT
        dt AS call_dt,
        call_id AS call_key,
        max(attempt) AS last_attempt,
        max(occurred_at) AS last_occurred_at
    FROM unique_events
    WHERE call_id IS NOT NULL
    GROUP BY dt, call_id
),
prefixes AS (
    SELECT
        dt AS prefix_dt,
        event_id AS prefix_event_id,
        lag(occurred_at) OVER (
            PARTITION BY dt, model, prompt_prefix_hash
            ORDER BY occurred_at, event_id
        ) AS prefix_sent_before
    FROM unique_events
    WHERE prompt_prefix_hash IS NOT NULL
),
placed AS (
    SELECT
        u.*,
        CASE
            WHEN u.final_attempt IS NOT NULL THEN u.final_attempt
            WHEN u.call_id IS NULL THEN true
            WHEN u.attempt IS NOT NULL THEN u.attempt >= c.last_attempt
            ELSE u.occurred_at >= c.last_occurred_at
        END AS ends_call,
        p.prefix_sent_before
    FROM unique_events AS u
    LEFT JOIN calls AS c
        ON c.call_dt = u.dt AND c.call_key = u.call_id
    LEFT JOIN prefixes AS p
        ON p.prefix_dt = u.dt AND p.prefix_event_id = u.event_id
)
SELECT
    {{columns}},
    ends_call AS final_attempt,
    CAST(CASE WHEN ends_call THEN 0 ELSE cost_usd END AS DECIMAL(18, 12)) AS retry_cost_usd,
    CAST(
        coalesce(context_waste_usd, 0) + CASE
            WHEN prefix_sent_before >= occurred_at - INTERVAL '1' HOUR
            THEN coalesce(prefix_rebill_usd, 0)
            ELSE 0
        END AS DECIMAL(18, 12)
    ) AS context_waste_usd,
    dt
FROM placed
