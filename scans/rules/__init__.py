"""The densitometry rules for DEXA scans, as plain typed functions on plain values.

Each rule cites its section of the project's clinical reference as "docs/clinical-rules.md §n",
where its source is given. No Django here: models, forms and views call these functions and
store what they return. Display text uses the real minus sign (−, U+2212), as a densitometry
report does.

One module a concept; import each rule from its module:
- basics: sites, sexes, menopausal status and manufacturers; rounding and display; dates.
- diagnosis: WHO categories, Z-score wording, the diagnosis of one visit (§1, §2).
- spine: the lumbar vertebrae a result was measured over (§2.2).
- monitoring: precision, the least significant change, the change between scans (§3, §4).
- manufacturers: standardized BMD across manufacturers (§6).
- references: a reported hip T-score checked against the young-adult reference (§5).
- fractures: fractures by how they were found, Genant grades, the VFA indication (§1.1, §7).
- thresholds: treatment thresholds and FRAX in context (§8, §8.1, §8.2).
- follow_up: the response to treatment and the next scan due (§8.3, §8.4).
"""
