-- Which row of a level-of-care flow table each discharge is counted in (issue 30): one row
-- (episode_id, cell) per discharge of transitions_detail (`moves`, run over every level, as
-- transition_matrix.sql), in the row from-level > to-level (the outcome where there is no next
-- episode) of the table named $flow_table (flow: the period; flow_12m: its 12 months).
-- reads: moves=transitions_detail
select
    episode_id,
    $flow_table || '[' || from_level || '>' || coalesce(to_level, outcome) || '].n' as cell
from moves
