-- The models one workflow (:workflow_id) called over a window, with what each cost and wasted.
SELECT
    provider,
    model,
    count(*) AS events,
    count(DISTINCT coalesce(call_id, event_id)) AS calls,
    count_if(retry_cost_usd > 0) AS retried_attempts,
    count_if(cost_usd IS NULL) AS unpriced_events,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cost_usd), 0) AS spend_usd,
    coalesce(sum(retry_cost_usd), 0) AS retry_cost_usd,
    coalesce(sum(context_waste_usd), 0) AS context_waste_usd,
    coalesce(sum(cache_savings_usd), 0) AS cache_savings_usd
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
    AND coalesce(workflow_id, '(none)') = :workflow_id
GROUP BY 1, 2
ORDER BY spend_usd DESC, provider, model
