-- Retry storms: workflows whose retry waste in the last window [window_start, window_end)
-- is at least :min_retry_usd and at least :ratio times their usual waste for a window that
-- long, the usual being the day before (baseline_start up to window_start) scaled by
-- :window_minutes / :baseline_minutes. The comparison runs in DOUBLE (a rule of thumb
-- needs no exact cents); the sums it returns are exact decimals.
WITH per_workflow AS (
    SELECT
        coalesce(workflow_id, '(none)') AS workflow_id,
        coalesce(sum(CASE WHEN occurred_at >= CAST(:window_start AS TIMESTAMP)
            THEN retry_cost_usd END), 0) AS window_retry_usd,
        count_if(occurred_at >= CAST(:window_start AS TIMESTAMP)
            AND retry_cost_usd > 0) AS window_retries,
        coalesce(sum(CASE WHEN occurred_at < CAST(:window_start AS TIMESTAMP)
            THEN retry_cost_usd END), 0) AS baseline_retry_usd
    FROM ai_economic_events
    WHERE dt BETWEEN :first_day AND :last_day
        AND occurred_at >= CAST(:baseline_start AS TIMESTAMP)
        AND occurred_at < CAST(:window_end AS TIMESTAMP)
    GROUP BY 1
)
SELECT
    workflow_id,
    window_retries,
    window_retry_usd,
    baseline_retry_usd
FROM per_workflow
WHERE CAST(window_retry_usd AS DOUBLE) >= CAST(:min_retry_usd AS DOUBLE)
    AND CAST(window_retry_usd AS DOUBLE) * CAST(:baseline_minutes AS DOUBLE)
        >= CAST(baseline_retry_usd AS DOUBLE) * CAST(:ratio AS DOUBLE)
            * CAST(:window_minutes AS DOUBLE)
ORDER BY window_retry_usd DESC, workflow_id
