-- make feedback-export (scripts/feedback-export.sh): the requests that got feedback and whose sentence was logged,
-- in SST-2's format (sentence, label 0 = negative / 1 = positive), oldest feedback first. Tabs and line breaks in
-- a sentence become one space: SST-2's reader splits on the tab and reads one sentence per line.
SELECT regexp_replace(p.sentence, '[\t\r\n]+', ' ', 'g') AS sentence,
       CASE f.label WHEN 'positive' THEN 1 ELSE 0 END AS label
FROM feedback f
JOIN LATERAL (SELECT sentence FROM prediction_log
              WHERE request_id = f.request_id AND NOT shadow ORDER BY id LIMIT 1) p ON true
WHERE p.sentence IS NOT NULL
ORDER BY f.id;
