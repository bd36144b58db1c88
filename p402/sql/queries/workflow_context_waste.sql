-- The events of one workflow (:workflow_id) whose context cost the most for nothing over a
-- window: unused context reported by the client, or a prompt prefix billed uncached again.
SELECT
    event_id,
    call_id,
    occurred_at,
    provider,
    model,
    input_tokens,
    context_waste_tokens,
    prompt_prefix_hash,
    prompt_prefix_tokens,
    cost_usd,
    context_waste_usd
FROM ai_economic_events
WHERE dt BETWEEN :first_day AND :last_day
    AND occurred_at >= CAST(:window_start AS TIMESTAMP)
    AND occurred_at < CAST(:window_end AS TIMESTAMP)
    AND coalesce(workflow_id, '(none)') = :workflow_id
    AND context_waste_usd > 0
ORDER BY context_waste_usd DESC, occurred_at DESC, event_id
LIMIT 50
