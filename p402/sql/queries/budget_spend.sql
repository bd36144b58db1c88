-- Spend of one budget scope ({{scope_column}} = :scope_value) over a window [start, end).
-- Unpriced events have no cost (null, never $0): they are counted apart.
SELECT
    count(*) AS events,
    coalesce(sum(cost_usd), 0) AS spend_usd,
    count_if(cost_usd IS NULL) AS unpriced_events
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
    AND {{scope_column}} = :scope_value
