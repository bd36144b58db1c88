-- Workflows ranked by waste (retry + context) over a window, with spend, retry rate and
-- cache savings beside it. Parameters: the window as UTC timestamps and its dt range.
SELECT
    coalesce(workflow_id, '(none)') AS workflow_id,
    count(*) AS events,
    count_if(final_attempt) AS calls,
    sum(cost_usd) AS spend_usd,  -- null when no event of the workflow had a price
    coalesce(sum(retry_cost_usd), 0) AS retry_cost_usd,
    coalesce(sum(context_waste_usd), 0) AS context_waste_usd,
    coalesce(sum(retry_cost_usd), 0) + coalesce(sum(context_waste_usd), 0) AS waste_usd,
    CAST(count_if(retry_cost_usd > 0) AS DOUBLE) / count(*) AS retry_rate,
    coalesce(sum(cache_savings_usd), 0) AS cache_savings_usd
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
GROUP BY 1
ORDER BY waste_usd DESC, spend_usd DESC NULLS LAST, workflow_id
LIMIT 1000
