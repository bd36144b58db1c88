-- What caching saved, by workflow and model: provider prompt caching and semantic-cache hits.
SELECT
    coalesce(workflow_id, '(none)') AS workflow_id,
    model,
    count(*) AS events,
    count_if(cache_hit) AS semantic_cache_hits,
    coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
    coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens,
    coalesce(sum(cache_savings_usd), 0) AS cache_savings_usd,
    coalesce(sum(cost_usd), 0) AS spend_usd
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
GROUP BY 1, 2
ORDER BY cache_savings_usd DESC
