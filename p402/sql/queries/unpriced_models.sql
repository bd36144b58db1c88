-- Models that no price covered: their cost is unknown (null), never $0.
SELECT
    provider,
    model,
    count(*) AS events,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    min(occurred_at) AS first_seen,
    max(occurred_at) AS last_seen
FROM ai_economic_events
WHERE price_source = 'unpriced'
    AND dt BETWEEN :first_day AND :last_day
GROUP BY 1, 2
ORDER BY events DESC
