# `referral report`: the table for people (client-cli/src/report/format.rs).
# CSV and JSON keep their codes and field names.

report-title = Program report from this device's case store
report-since = Cases referred since { $since } (00:00 UTC)
report-all-dates = Cases referred: all dates
report-forwarded-copies = Not counted again: { $count ->
        [one] 1 onward copy of a case
       *[other] { $count } onward copies of cases
    } forwarded from this device
report-section-people = People referred
report-section-language = By language
report-section-prefecture = By prefecture
report-section-need = By need
report-section-outcomes = Outcomes (current status)
report-section-contacts = Contacts
report-section-days = Days to outcome
report-label-cases = cases
report-label-multi-contact = needed more than one contact
report-label-completed-cases = completed cases
report-label-median-days = median days
report-none = (none)
report-unknown = unknown
report-code-named = { $code } ({ $name })
report-definitions = Definitions (docs/report.md)
report-term-case = case
report-define-case = a thread in this device's case store; the onward copy of a case forwarded from this device is the same person and is not counted again
report-term-since = since
report-define-since = cases whose referral was created on or after that day, from 00:00 UTC
report-term-unknown = unknown
report-define-unknown = the referral does not give this field
report-define-percent = share of all cases counted
report-term-outcome = outcome
report-define-outcome = the case's current status
report-term-contact = contact
report-define-contact = an in_progress or completed reply from the desk the case was referred to; "more than one contact" means two or more
report-term-days = days to outcome
report-define-days = from the referral's creation to its first completion, completed cases only; the median of an even count is the mean of the two middle values
report-footer = Computed from this device's own case store; nothing was sent to the broker.
