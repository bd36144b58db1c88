-- Spend and waste (retry + context) of every workflow by hour over a window: the trend
-- beside the optimize ranking.
SELECT
    coalesce(workflow_id, '(none)') AS workflow_id,
    date_trunc('hour', occurred_at) AS bucket_start,
    coalesce(sum(cost_usd), 0) AS spend_usd,
    coalesce(sum(retry_cost_usd), 0) + coalesce(sum(context_waste_usd), 0) AS waste_usd
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
GROUP BY 1, 2
ORDER BY 1, 2
