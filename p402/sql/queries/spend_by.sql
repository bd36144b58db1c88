-- Spend by any attribution column ({{group_by}}) and period ({{period}}: day, week, month).
SELECT
    date_trunc('{{period}}', occurred_at) AS period_start,
    coalesce({{group_by}}, '(none)') AS {{group_by}},
    count(*) AS events,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(cost_usd), 0) AS spend_usd,
    coalesce(sum(retry_cost_usd), 0) AS retry_cost_usd,
    coalesce(sum(cache_savings_usd), 0) AS cache_savings_usd
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
GROUP BY 1, 2
ORDER BY 1, spend_usd DESC
