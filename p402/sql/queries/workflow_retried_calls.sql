-- The retried calls of one workflow (:workflow_id, '(none)' for events without one) over a
-- window: every attempt of each call that wasted money on retries, costliest call first
-- (the first 300 attempts).
WITH attempts AS (
    SELECT
        coalesce(call_id, event_id) AS call_key,
        event_id,
        attempt,
        occurred_at,
        outcome,
        error_type,
        provider,
        model,
        cost_usd,
        retry_cost_usd,
        sum(retry_cost_usd) OVER (PARTITION BY coalesce(call_id, event_id)) AS call_retry_usd,
        count(*) OVER (PARTITION BY coalesce(call_id, event_id)) AS call_attempts
    FROM ai_economic_events
    WHERE dt BETWEEN :first_day AND :last_day
        AND occurred_at >= CAST(:window_start AS TIMESTAMP)
        AND occurred_at < CAST(:window_end AS TIMESTAMP)
        AND coalesce(workflow_id, '(none)') = :workflow_id
)
SELECT *
FROM attempts
WHERE call_retry_usd > 0
ORDER BY call_retry_usd DESC, call_key, attempt, occurred_at, event_id
LIMIT 300
